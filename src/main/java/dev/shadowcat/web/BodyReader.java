package dev.shadowcat.web;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.function.Consumer;

/**
 * Reads a request body without blocking, up to a limit. Calls exactly one of the callbacks, on a container
 * thread. Confined to the container's read callbacks (which Jetty serializes).
 */
final class BodyReader implements ReadListener {
    /** The body was larger than the limit. */
    static final class TooLarge extends IOException {
        private static final long serialVersionUID = 1L;

        TooLarge(int limit) {
            super("request body larger than " + limit + " bytes");
        }
    }

    private final ServletInputStream in;
    private final int limit;
    private final Consumer<byte[]> onBody;
    private final Consumer<IOException> onError;
    private final ByteArrayOutputStream body;
    private final byte[] buf;
    private boolean done;

    private BodyReader(ServletInputStream in, int limit, int expected, Consumer<byte[]> onBody, Consumer<IOException> onError) {
        this.in = in;
        this.limit = limit;
        this.onBody = onBody;
        this.onError = onError;
        this.body = new ByteArrayOutputStream(expected > 0 ? expected : 1024);
        // most MCP bodies are a few hundred bytes: do not allocate 8 KiB for each
        this.buf = new byte[expected > 0 ? Math.min(expected + 1, 8192) : 8192];
    }

    static void read(AsyncContext async, int limit, Consumer<byte[]> onBody, Consumer<IOException> onError) throws IOException {
        ServletInputStream in = async.getRequest().getInputStream();
        int expected = (int) Math.min(async.getRequest().getContentLengthLong(), limit);
        in.setReadListener(new BodyReader(in, limit, expected, onBody, onError));
    }

    @Override
    public void onDataAvailable() throws IOException {
        while (!done && in.isReady()) {
            int n = in.read(buf);
            if (n < 0) {
                return; // onAllDataRead follows
            }
            if (body.size() + n > limit) {
                done = true;
                onError.accept(new TooLarge(limit));
                return;
            }
            body.write(buf, 0, n);
        }
    }

    @Override
    public void onAllDataRead() {
        if (!done) {
            done = true;
            onBody.accept(body.toByteArray());
        }
    }

    @Override
    public void onError(Throwable t) {
        if (!done) {
            done = true;
            onError.accept(t instanceof IOException io ? io : new IOException(t));
        }
    }
}
