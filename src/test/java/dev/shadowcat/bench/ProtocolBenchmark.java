package dev.shadowcat.bench;

import dev.shadowcat.protocol.Message;
import dev.shadowcat.protocol.ProtocolException;
import dev.shadowcat.stream.SseFrames;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Per-message hot path of the gateway: parsing a client request and an upstream response, rewriting the id
 * and progress token on the way upstream (what StdioLink.send does), and framing a message as an SSE event.
 * Run with bench/jmh.sh (see docs/benchmarks.md).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ProtocolBenchmark {
    /** A typical tools/call request from a client (~200 bytes). */
    static final String REQUEST = "{\"jsonrpc\":\"2.0\",\"id\":42,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\","
            + "\"arguments\":{\"message\":\"hello from the shadowcat benchmark, a short line\"},"
            + "\"_meta\":{\"progressToken\":\"client-token-42\"}}}";
    /** A typical tools/call response from an upstream (~100 bytes). */
    static final String RESPONSE = "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"content\":[{\"type\":\"text\","
            + "\"text\":\"Echo: hello\"}],\"isError\":false}}";

    byte[] request;
    byte[] response;
    Message parsedRequest;
    long tokenSpan;
    String eventId;

    @Setup
    public void setup() throws ProtocolException {
        request = REQUEST.getBytes(StandardCharsets.UTF_8);
        response = RESPONSE.getBytes(StandardCharsets.UTF_8);
        parsedRequest = Message.parse(request);
        tokenSpan = parsedRequest.paramsPath("_meta", "progressToken");
        if (tokenSpan < 0) {
            throw new IllegalStateException("no progress token in the sample request");
        }
        eventId = "3-17";
    }

    @Benchmark
    public Message parseRequest() throws ProtocolException {
        return Message.parse(request);
    }

    @Benchmark
    public Message parseResponse() throws ProtocolException {
        return Message.parse(response);
    }

    /** Id + progress token replaced, the spans already known. */
    @Benchmark
    public byte[] rewriteIdAndToken() {
        return parsedRequest.rewrite("1234", tokenSpan, "1234");
    }

    /** What StdioLink.send does per request: find the token, keep the client's id and token, splice both. */
    @Benchmark
    public byte[] rewriteWithLookup() {
        long span = parsedRequest.paramsPath("_meta", "progressToken");
        String clientToken = span >= 0 ? parsedRequest.textAt(span) : null;
        String clientId = parsedRequest.idJson();
        byte[] out = parsedRequest.rewrite("1234", span, "1234");
        return clientToken.length() + clientId.length() > 0 ? out : null;
    }

    @Benchmark
    public byte[] sseEvent() {
        return SseFrames.event(eventId, response);
    }
}
