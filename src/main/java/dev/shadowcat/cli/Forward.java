package dev.shadowcat.cli;

import dev.shadowcat.audit.AuditLog;
import dev.shadowcat.config.HttpUpstreamConfig;
import dev.shadowcat.config.PipelineConfig;
import dev.shadowcat.gateway.BuiltInStages;
import dev.shadowcat.gateway.GatewayThreads;
import dev.shadowcat.pipeline.FrontDoor;
import dev.shadowcat.pipeline.Pipeline;
import dev.shadowcat.protocol.ErrorCodes;
import dev.shadowcat.protocol.Errors;
import dev.shadowcat.protocol.Message;
import dev.shadowcat.protocol.ProtocolException;
import dev.shadowcat.session.ResponseSink;
import dev.shadowcat.session.Session;
import dev.shadowcat.session.SessionRegistry;
import dev.shadowcat.session.SessionStore;
import dev.shadowcat.upstream.Upstream;
import dev.shadowcat.upstream.http.HttpUpstream;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledThreadPoolExecutor;

/**
 * Forward mode: speaks MCP over stdio to a local client (a desktop app that only launches stdio servers) and
 * forwards everything to a remote MCP server over Streamable HTTP, falling back to legacy HTTP+SSE.
 *
 * <p>Credentials come from the environment or a file, never from the command line (which other users of the
 * machine can read). stdout carries only MCP messages; diagnostics go to stderr. The process exits when stdin
 * closes, after ending the remote session.
 */
public final class Forward {
    private static final String USAGE = """
            usage: shadowcat forward --url URL [--transport auto|streamable-http|sse]
                                     [--bearer-env VAR | --bearer-file PATH]
                                     [--header-env Name=VAR]... [--header-file Name=PATH]...
                                     [--timeout-seconds N] [--pipeline FILE]
            Speaks MCP over stdio and forwards to the MCP server at URL. FILE holds a pipeline section
            (audit, filters) like the gateway's; its upstream is named "forward".""";

    private final PrintStream log = System.err;
    private final OutputStream out;
    private final Object writeLock = new Object();

    private Forward(OutputStream out) {
        this.out = out;
    }

    public static void main(String[] args) throws Exception {
        System.exit(run(args, System.in, System.out));
    }

    /** Runs until stdin closes; returns the exit code. */
    static int run(String[] args, java.io.InputStream stdin, PrintStream stdout) throws Exception {
        HttpUpstreamConfig cfg;
        PipelineConfig pipeline;
        try {
            cfg = parse(args, System::getenv);
            pipeline = pipeline(args);
        } catch (IllegalArgumentException | dev.shadowcat.config.ConfigException e) {
            System.err.println("shadowcat forward: " + e.getMessage());
            System.err.println(USAGE);
            return 2;
        }
        System.setOut(new PrintStream(System.err, true, StandardCharsets.UTF_8)); // nothing else may write to stdout
        GatewayThreads threads = new GatewayThreads();
        AuditLog audit = BuiltInStages.openAudit(pipeline, threads);
        ScheduledThreadPoolExecutor hk = threads.newHousekeeper();
        HttpUpstream up = new HttpUpstream(cfg, threads.named("http-forward"), hk, System::nanoTime);
        // the same chain as the gateway's, less metrics (forward mode serves no /metrics)
        Upstream chained = Pipeline.assemble(BuiltInStages.of(pipeline, null, null, audit), List.of()).wrap(up, null);
        Forward f = new Forward(stdout);
        int code;
        try {
            code = f.pump(chained, stdin);
        } finally {
            up.shutdown();
            up.awaitStopped(2000);
            hk.shutdownNow();
            if (audit != null) {
                audit.close();
            }
        }
        return code;
    }

    /** The {@code --pipeline FILE} section, or the default (no audit, no filters). */
    static PipelineConfig pipeline(String[] args) {
        for (int i = 0; i + 1 < args.length; i++) {
            if ("--pipeline".equals(args[i])) {
                Path file = Path.of(args[i + 1]);
                try {
                    return new dev.shadowcat.config.ConfigLoader(Map.of(), System::getenv)
                            .parsePipeline(Files.readString(file, StandardCharsets.UTF_8), file.toString(), java.util.Set.of("forward"));
                } catch (IOException e) {
                    throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage());
                }
            }
        }
        return PipelineConfig.DEFAULT;
    }

    static HttpUpstreamConfig parse(String[] args, java.util.function.Function<String, String> env) {
        String url = null;
        HttpUpstreamConfig.Transport transport = HttpUpstreamConfig.Transport.AUTO;
        Map<String, String> headers = new LinkedHashMap<>();
        int timeout = 30;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("missing value for " + a);
            }
            String v = args[++i];
            switch (a) {
                case "--url" -> url = v;
                case "--transport" -> transport = switch (v) {
                    case "auto" -> HttpUpstreamConfig.Transport.AUTO;
                    case "streamable-http" -> HttpUpstreamConfig.Transport.STREAMABLE_HTTP;
                    case "sse" -> HttpUpstreamConfig.Transport.SSE;
                    default -> throw new IllegalArgumentException("--transport must be auto, streamable-http or sse");
                };
                case "--bearer-env" -> headers.put("Authorization", "Bearer " + fromEnv(env, v));
                case "--bearer-file" -> headers.put("Authorization", "Bearer " + fromFile(v));
                case "--header-env" -> headers.put(name(v), fromEnv(env, v.substring(v.indexOf('=') + 1)));
                case "--header-file" -> headers.put(name(v), fromFile(v.substring(v.indexOf('=') + 1)));
                case "--timeout-seconds" -> timeout = Integer.parseInt(v);
                case "--pipeline" -> { } // read by pipeline(args)
                default -> throw new IllegalArgumentException("unknown option " + a);
            }
        }
        if (url == null) {
            throw new IllegalArgumentException("--url is required");
        }
        URI uri = URI.create(url);
        if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
            throw new IllegalArgumentException("--url must be an http:// or https:// URL");
        }
        return new HttpUpstreamConfig("forward", uri, transport, Map.copyOf(headers), Duration.ofSeconds(10),
                Duration.ofSeconds(timeout), Duration.ofMinutes(5), false, 5, Duration.ofSeconds(10), Duration.ZERO,
                Duration.ofMinutes(5), null);
    }

    private static String name(String spec) {
        int eq = spec.indexOf('=');
        if (eq <= 0) {
            throw new IllegalArgumentException("expected Name=VALUE-SOURCE, got " + spec);
        }
        return spec.substring(0, eq);
    }

    private static String fromEnv(java.util.function.Function<String, String> env, String var) {
        String v = env.apply(var);
        if (v == null || v.isEmpty()) {
            throw new IllegalArgumentException("environment variable " + var + " is not set");
        }
        return v;
    }

    private static String fromFile(String path) {
        try {
            return Files.readString(Path.of(path), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + path + ": " + e.getMessage());
        }
    }

    /**
     * The stdio transport adapter: one line, one message. The client's session is a {@link Session} like any HTTP
     * client's, so its messages take the gateway's one dispatch ({@link Session#dispatch}); what the session sends
     * back (responses, notifications, server→client requests) is written to stdout.
     */
    private int pump(Upstream up, java.io.InputStream stdin) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(stdin, StandardCharsets.UTF_8));
        SessionRegistry sessions = new SessionRegistry(
                new dev.shadowcat.config.ConfigLoader(Map.of(), System::getenv).defaultServerSettings(), System::nanoTime);
        ResponseSink sink = new ResponseSink() {
            @Override
            public void message(byte[] json) {
                write(json);
            }

            @Override
            public void response(byte[] json) {
                write(json);
            }

            @Override
            public void cancelled() {
            }

            @Override
            public void sessionLost(byte[] json) {
                write(json);
            }
        };
        Session session = null;
        String line;
        while ((line = in.readLine()) != null && (session == null || session.isOpen())) {
            if (line.isBlank()) {
                continue;
            }
            Message m;
            try {
                m = Message.parse(line.getBytes(StandardCharsets.UTF_8));
            } catch (ProtocolException e) {
                write(Errors.response(null, e.code(), e.getMessage(), null));
                continue;
            }
            if (m.isRequest() && "initialize".equals(m.method())) {
                if (session != null) {
                    write(Errors.response(m.idJson(), ErrorCodes.INVALID_REQUEST, "already initialized", null));
                    continue;
                }
                try {
                    session = sessions.create(up, m, FrontDoor.FORWARD, "stdio");
                } catch (SessionStore.RefusedException e) {
                    write(Errors.response(m.idJson(), ErrorCodes.UPSTREAM_UNAVAILABLE, e.getMessage(), null));
                    continue;
                }
                session.sendStandaloneTo(this::write);
                session.open(m, sink);
            } else if (session == null) {
                if (m.isRequest()) {
                    write(Errors.response(m.idJson(), ErrorCodes.INVALID_REQUEST, "send initialize first", null));
                }
            } else {
                session.dispatch(m, sink);
            }
        }
        boolean lost = session != null && !session.isOpen();
        if (lost) {
            log.println("shadowcat forward: the remote session ended");
        } else if (session != null) {
            sessions.close(session, "stdin closed"); // ends the remote session (DELETE); run() waits for it
        }
        return lost ? 1 : 0;
    }

    private void write(byte[] message) {
        synchronized (writeLock) {
            try {
                out.write(message);
                out.write('\n');
                out.flush();
            } catch (IOException e) {
                log.println("shadowcat forward: stdout closed: " + e.getMessage());
            }
        }
    }
}
