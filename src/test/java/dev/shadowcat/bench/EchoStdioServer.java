package dev.shadowcat.bench;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;

/**
 * The stdio twin of {@link JettyEchoFloor}: the least a stdio MCP server can do per message. One thread reads
 * stdin line by line and answers every line carrying an id with the floor's fixed result (id copied, nothing
 * else parsed), on that same thread; lines without an id (notifications) get nothing. bench/run-all.sh puts the
 * gateway in front of it (target gw-echo-shared) so that "gateway alone vs the floor" prices the gateway and two
 * pipe crossings, not a real server's JSON handling.
 *
 * <pre>
 *   java -cp target/test-classes dev.shadowcat.bench.EchoStdioServer
 * </pre>
 */
public final class EchoStdioServer {
    private EchoStdioServer() {
    }

    public static void main(String[] args) throws IOException {
        InputStream in = new FileInputStream(FileDescriptor.in);
        OutputStream out = new FileOutputStream(FileDescriptor.out);
        byte[] buf = new byte[64 * 1024];
        byte[] line = new byte[8192];
        int len = 0;
        int n;
        while ((n = in.read(buf)) > 0) {
            for (int i = 0; i < n; i++) {
                if (buf[i] != '\n') {
                    if (len == line.length) {
                        line = Arrays.copyOf(line, len * 2);
                    }
                    line[len++] = buf[i];
                    continue;
                }
                byte[] reply = EchoReply.reply(line, len);
                len = 0;
                if (reply != null) {
                    byte[] framed = Arrays.copyOf(reply, reply.length + 1);
                    framed[reply.length] = '\n';
                    out.write(framed);
                }
            }
        }
    }
}
