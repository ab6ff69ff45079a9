package dev.shadowcat.conformance;

import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures.SyncCompletionSpecification;
import io.modelcontextprotocol.server.McpServerFeatures.SyncPromptSpecification;
import io.modelcontextprotocol.server.McpServerFeatures.SyncResourceSpecification;
import io.modelcontextprotocol.server.McpServerFeatures.SyncResourceTemplateSpecification;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.McpSyncServerExchange;
import io.modelcontextprotocol.server.transport.DefaultServerTransportSecurityValidator;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.server.transport.StdioServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema.AudioContent;
import io.modelcontextprotocol.spec.McpSchema.BlobResourceContents;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.CompleteResult;
import io.modelcontextprotocol.spec.McpSchema.Content;
import io.modelcontextprotocol.spec.McpSchema.CreateMessageRequest;
import io.modelcontextprotocol.spec.McpSchema.CreateMessageResult;
import io.modelcontextprotocol.spec.McpSchema.ElicitFormRequest;
import io.modelcontextprotocol.spec.McpSchema.ElicitResult;
import io.modelcontextprotocol.spec.McpSchema.EmbeddedResource;
import io.modelcontextprotocol.spec.McpSchema.GetPromptResult;
import io.modelcontextprotocol.spec.McpSchema.ImageContent;
import io.modelcontextprotocol.spec.McpSchema.LoggingLevel;
import io.modelcontextprotocol.spec.McpSchema.LoggingMessageNotification;
import io.modelcontextprotocol.spec.McpSchema.ProgressNotification;
import io.modelcontextprotocol.spec.McpSchema.Prompt;
import io.modelcontextprotocol.spec.McpSchema.PromptArgument;
import io.modelcontextprotocol.spec.McpSchema.PromptMessage;
import io.modelcontextprotocol.spec.McpSchema.PromptReference;
import io.modelcontextprotocol.spec.McpSchema.ReadResourceResult;
import io.modelcontextprotocol.spec.McpSchema.Resource;
import io.modelcontextprotocol.spec.McpSchema.ResourceContents;
import io.modelcontextprotocol.spec.McpSchema.ResourceTemplate;
import io.modelcontextprotocol.spec.McpSchema.Role;
import io.modelcontextprotocol.spec.McpSchema.SamplingMessage;
import io.modelcontextprotocol.spec.McpSchema.ServerCapabilities;
import io.modelcontextprotocol.spec.McpSchema.TextContent;
import io.modelcontextprotocol.spec.McpSchema.TextResourceContents;
import io.modelcontextprotocol.spec.McpSchema.Tool;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.function.BiFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * MCP conformance fixture server, written with the official MCP Java SDK: it implements the tools,
 * resources and prompts that the server scenarios of {@code @modelcontextprotocol/conformance} call
 * (same names, arguments and results as the suite's reference {@code everything-server}).
 * {@code .ci/conformance.sh} runs the suite against it directly and through the gateway.
 *
 * <pre>
 *   java -cp TEST_CLASSPATH dev.shadowcat.conformance.ConformanceServer --stdio
 *   java -cp TEST_CLASSPATH dev.shadowcat.conformance.ConformanceServer --http PORT   (http://127.0.0.1:PORT/mcp)
 * </pre>
 *
 * In stdio mode stdout carries only MCP messages; every log line goes to stderr (jetty-slf4j-impl).
 * In HTTP mode the SDK's security validator accepts only loopback {@code Host} and {@code Origin}
 * values (DNS-rebinding protection, as the 2025-11-25 transport spec asks of local servers).
 */
public final class ConformanceServer {

    /** 1x1 red PNG. */
    static final String PNG_BASE64 =
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";
    /** Minimal WAV. */
    static final String WAV_BASE64 = "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=";

    private static final Pattern TEMPLATE_URI = Pattern.compile("test://template/([^/]+)/data");

    private ConformanceServer() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 1 && "--stdio".equals(args[0])) {
            runStdio();
        } else if (args.length == 2 && "--http".equals(args[0])) {
            runHttp(Integer.parseInt(args[1]));
        } else {
            System.err.println("usage: ConformanceServer --stdio | --http PORT");
            System.exit(2);
        }
    }

    // ------------------------------------------------------------------ transports

    private static void runStdio() throws InterruptedException {
        McpJsonMapper json = McpJsonDefaults.getMapper();
        // The SDK's reader thread ends at stdin EOF, but non-daemon scheduler threads would keep the JVM
        // alive: a stdio server must exit when its client closes stdin, so watch for EOF here.
        CountDownLatch stdinClosed = new CountDownLatch(1);
        InputStream in = new FilterInputStream(new FileInputStream(FileDescriptor.in)) {
            @Override
            public int read() throws IOException {
                return eof(super.read());
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return eof(super.read(b, off, len));
            }

            private int eof(int n) {
                if (n < 0) {
                    stdinClosed.countDown();
                }
                return n;
            }
        };
        // Only the transport writes to the real stdout; anything else that prints goes to stderr.
        OutputStream mcpOut = new FileOutputStream(FileDescriptor.out);
        System.setOut(System.err);
        StdioServerTransportProvider transport = new StdioServerTransportProvider(json, in, mcpOut);
        McpSyncServer server = features(McpServer.sync(transport).jsonMapper(json)).build();
        ModernScenarioTools.serve(server);
        stdinClosed.await();
        server.close();
        System.exit(0);
    }

    private static void runHttp(int port) throws Exception {
        McpJsonMapper json = McpJsonDefaults.getMapper();
        DefaultServerTransportSecurityValidator loopbackOnly = DefaultServerTransportSecurityValidator.builder()
                .allowedHosts(List.of("localhost:*", "127.0.0.1:*", "[::1]:*"))
                .allowedOrigins(List.of("http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"))
                .build();
        HttpServletStreamableServerTransportProvider transport = HttpServletStreamableServerTransportProvider.builder()
                .jsonMapper(json)
                .mcpEndpoint("/mcp")
                .httpHeaderValidator(loopbackOnly)
                .build();
        McpSyncServer mcp = features(McpServer.sync(transport).jsonMapper(json)).build();
        ModernScenarioTools.serve(mcp);

        QueuedThreadPool threads = new QueuedThreadPool(64, 4);
        threads.setName("conformance-http");
        Server jetty = new Server(threads);
        ServerConnector connector = new ServerConnector(jetty, 1, 1);
        connector.setHost("127.0.0.1");
        connector.setPort(port);
        jetty.addConnector(connector);
        ServletContextHandler context = new ServletContextHandler("/");
        ServletHolder holder = new ServletHolder("mcp", transport);
        holder.setAsyncSupported(true);
        context.addServlet(holder, "/mcp");
        jetty.setHandler(context);
        jetty.setStopTimeout(2_000);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                mcp.close();
                jetty.stop();
            } catch (Exception e) {
                // exiting anyway
            }
        }, "conformance-shutdown"));
        jetty.start();
        System.err.println("ConformanceServer listening on http://127.0.0.1:" + connector.getLocalPort() + "/mcp");
        jetty.join();
    }

    // ------------------------------------------------------------------ features

    static <S extends McpServer.SyncSpecification<S>> McpServer.SyncSpecification<S> features(
            McpServer.SyncSpecification<S> spec) {
        return spec.serverInfo("shadowcat-conformance-fixture", "1.0.0")
                .capabilities(ServerCapabilities.builder()
                        .tools(true)
                        .resources(true, true)
                        .prompts(true)
                        .logging()
                        .completions()
                        .build())
                // The fixture's schemas are for listing (json-schema-2020-12 checks them verbatim);
                // arguments are read leniently by each tool, as the reference server does.
                .validateToolInputs(false)
                .requestTimeout(Duration.ofSeconds(30))
                .tools(concat(tools(), ModernScenarioTools.tools()))
                .resources(resources())
                .resourceTemplates(resourceTemplates())
                .prompts(concat(prompts(), ModernScenarioTools.prompts()))
                .completions(new SyncCompletionSpecification(new PromptReference("test_prompt_with_arguments"),
                        (exchange, request) -> new CompleteResult(
                                new CompleteResult.CompleteCompletion(List.of(), 0, false))));
    }

    // ------------------------------------------------------------------ tools

    private static List<SyncToolSpecification> tools() {
        List<SyncToolSpecification> tools = new ArrayList<>();
        tools.add(tool("test_simple_text", "Tests simple text content response", noArgs(),
                (ex, req) -> result(text("This is a simple text response for testing."))));
        tools.add(tool("test_image_content", "Tests image content response", noArgs(),
                (ex, req) -> result(image())));
        tools.add(tool("test_audio_content", "Tests audio content response", noArgs(),
                (ex, req) -> result(AudioContent.builder(WAV_BASE64, "audio/wav").build())));
        tools.add(tool("test_embedded_resource", "Tests embedded resource content response", noArgs(),
                (ex, req) -> result(embedded(textResource(
                        "test://embedded-resource", "text/plain", "This is an embedded resource content.")))));
        tools.add(tool("test_multiple_content_types",
                "Tests response with multiple content types (text, image, resource)", noArgs(),
                (ex, req) -> result(
                        text("Multiple content types test:"),
                        image(),
                        embedded(textResource("test://mixed-content-resource",
                                "application/json", "{\"test\":\"data\",\"value\":123}")))));
        tools.add(tool("test_tool_with_logging", "Tests tool that emits log messages during execution", noArgs(),
                (ex, req) -> {
                    log(ex, "Tool execution started");
                    sleep(50);
                    log(ex, "Tool processing data");
                    sleep(50);
                    log(ex, "Tool execution completed");
                    return result(text("Tool with logging executed successfully"));
                }));
        tools.add(tool("test_tool_with_progress", "Tests tool that reports progress notifications", noArgs(),
                (ex, req) -> {
                    Object token = req.meta() == null ? null : req.meta().get("progressToken");
                    if (token != null) {
                        for (int step = 0; step <= 100; step += 50) {
                            ex.progressNotification(ProgressNotification.builder(token, step).total(100.0)
                                    .message("Completed step " + step + " of 100").build());
                            if (step < 100) {
                                sleep(50);
                            }
                        }
                    }
                    return result(text(String.valueOf(token == null ? 0 : token)));
                }));
        tools.add(tool("test_error_handling", "Tests error response handling", noArgs(),
                (ex, req) -> CallToolResult.builder()
                        .addTextContent("This tool intentionally returns an error for testing")
                        .isError(true)
                        .build()));
        tools.add(tool("test_reconnection",
                "Tests SSE stream disconnection and client reconnection (SEP-1699)", noArgs(),
                (ex, req) -> {
                    // The SDK cannot close a request's SSE stream early; the call simply completes.
                    sleep(100);
                    return result(text("Reconnection test completed successfully. If you received this, "
                            + "the client properly reconnected after stream closure."));
                }));
        tools.add(tool("test_sampling", "Tests server-initiated sampling (LLM completion request)",
                schema(Map.of("prompt", stringProp("The prompt to send to the LLM")), List.of("prompt")),
                (ex, req) -> {
                    try {
                        CreateMessageResult r = ex.createMessage(CreateMessageRequest.builder(
                                List.of(SamplingMessage.builder(Role.USER, text(arg(req, "prompt"))).build()), 100)
                                .build());
                        String answer = r.content() instanceof TextContent t ? t.text() : "No response";
                        return result(text("LLM response: " + answer));
                    } catch (RuntimeException e) {
                        return result(text("Sampling not supported or error: " + e.getMessage()));
                    }
                }));
        tools.add(tool("test_elicitation", "Tests server-initiated elicitation (user input request)",
                schema(Map.of("message", stringProp("The message to show the user")), List.of("message")),
                (ex, req) -> elicit(ex, "User response: ", arg(req, "message"), schema(
                        Map.of("response", stringProp("User's response")), List.of("response")))));
        tools.add(tool("test_elicitation_sep1034_defaults", "Tests elicitation with default values per SEP-1034",
                noArgs(), (ex, req) -> elicit(ex, "Elicitation completed: ",
                        "Please review and update the form fields with defaults", sep1034Schema())));
        tools.add(tool("test_elicitation_sep1330_enums",
                "Tests elicitation with enum schema improvements per SEP-1330", noArgs(),
                (ex, req) -> elicit(ex, "Elicitation completed: ", "Please select options from the enum fields",
                        sep1330Schema())));
        tools.add(tool("json_schema_2020_12_tool",
                "Tool with JSON Schema 2020-12 features for conformance testing (SEP-1613)", jsonSchema202012(),
                (ex, req) -> result(text("JSON Schema 2020-12 tool called with: " + toJson(req.arguments())))));
        return tools;
    }

    static SyncToolSpecification tool(String name, String description, Map<String, Object> inputSchema,
            BiFunction<McpSyncServerExchange, CallToolRequest, CallToolResult> handler) {
        Tool tool = Tool.builder(name, inputSchema).description(description).build();
        return SyncToolSpecification.builder().tool(tool).callHandler(handler).build();
    }

    private static CallToolResult elicit(McpSyncServerExchange ex, String prefix, String message,
            Map<String, Object> requestedSchema) {
        try {
            ElicitResult r = ex.createElicitation(ElicitFormRequest.builder(message, requestedSchema).build());
            return result(text(prefix + "action=" + r.action().name().toLowerCase(Locale.ROOT)
                    + ", content=" + toJson(r.content() == null ? Map.of() : r.content())));
        } catch (RuntimeException e) {
            return result(text("Elicitation not supported or error: " + e.getMessage()));
        }
    }

    static void log(McpSyncServerExchange ex, String message) {
        ex.loggingNotification(LoggingMessageNotification.builder(LoggingLevel.INFO, message)
                .logger("conformance-test-server")
                .build());
    }

    private static Map<String, Object> sep1034Schema() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("name", Map.of("type", "string", "description", "User name", "default", "John Doe"));
        p.put("age", Map.of("type", "integer", "description", "User age", "default", 30));
        p.put("score", Map.of("type", "number", "description", "User score", "default", 95.5));
        p.put("status", Map.of("type", "string", "description", "User status",
                "enum", List.of("active", "inactive", "pending"), "default", "active"));
        p.put("verified", Map.of("type", "boolean", "description", "Verification status", "default", true));
        return schema(p, List.of());
    }

    private static Map<String, Object> sep1330Schema() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("untitledSingle", Map.of("type", "string", "description", "Select one option",
                "enum", List.of("option1", "option2", "option3")));
        p.put("titledSingle", Map.of("type", "string", "description", "Select one option with titles",
                "oneOf", List.of(
                        Map.of("const", "value1", "title", "First Option"),
                        Map.of("const", "value2", "title", "Second Option"),
                        Map.of("const", "value3", "title", "Third Option"))));
        p.put("legacyEnum", Map.of("type", "string", "description", "Select one option (legacy)",
                "enum", List.of("opt1", "opt2", "opt3"),
                "enumNames", List.of("Option One", "Option Two", "Option Three")));
        p.put("untitledMulti", Map.of("type", "array", "description", "Select multiple options",
                "minItems", 1, "maxItems", 3,
                "items", Map.of("type", "string", "enum", List.of("option1", "option2", "option3"))));
        p.put("titledMulti", Map.of("type", "array", "description", "Select multiple options with titles",
                "minItems", 1, "maxItems", 3,
                "items", Map.of("anyOf", List.of(
                        Map.of("const", "value1", "title", "First Choice"),
                        Map.of("const", "value2", "title", "Second Choice"),
                        Map.of("const", "value3", "title", "Third Choice")))));
        return schema(p, List.of());
    }

    /** SEP-1613 / SEP-2106: a raw JSON Schema 2020-12 document that must reach the client unchanged. */
    private static Map<String, Object> jsonSchema202012() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("$schema", "https://json-schema.org/draft/2020-12/schema");
        s.put("type", "object");
        s.put("$defs", Map.of("address", Map.of(
                "$anchor", "addressDef",
                "type", "object",
                "properties", Map.of("street", Map.of("type", "string"), "city", Map.of("type", "string")))));
        Map<String, Object> props = new LinkedHashMap<>();
        props.put("name", Map.of("type", "string"));
        props.put("address", Map.of("$ref", "#/$defs/address"));
        props.put("contactMethod", Map.of("type", "string", "enum", List.of("phone", "email")));
        props.put("phone", Map.of("type", "string"));
        props.put("email", Map.of("type", "string"));
        s.put("properties", props);
        s.put("allOf", List.of(Map.of("anyOf", List.of(
                Map.of("required", List.of("phone")), Map.of("required", List.of("email"))))));
        s.put("if", Map.of("properties", Map.of("contactMethod", Map.of("const", "phone")),
                "required", List.of("contactMethod")));
        s.put("then", Map.of("required", List.of("phone")));
        s.put("else", Map.of("required", List.of("email")));
        s.put("additionalProperties", false);
        return s;
    }

    // ------------------------------------------------------------------ resources

    private static List<SyncResourceSpecification> resources() {
        return List.of(
                new SyncResourceSpecification(resource("test://static-text", "static-text", "Static Text Resource",
                        "A static text resource for testing", "text/plain"),
                        (ex, req) -> readResult(List.of(textResource("test://static-text",
                                "text/plain", "This is the content of the static text resource.")))),
                new SyncResourceSpecification(resource("test://static-binary", "static-binary",
                        "Static Binary Resource", "A static binary resource (image) for testing", "image/png"),
                        (ex, req) -> readResult(List.of(
                                BlobResourceContents.builder("test://static-binary", PNG_BASE64).mimeType("image/png").build()))),
                new SyncResourceSpecification(resource("test://watched-resource", "watched-resource",
                        "Watched Resource", "A resource that can be subscribed to", "text/plain"),
                        (ex, req) -> readResult(List.of(textResource(
                                "test://watched-resource", "text/plain", "Watched resource content")))));
    }

    private static Resource resource(String uri, String name, String title, String description, String mimeType) {
        return Resource.builder(uri, name).title(title).description(description).mimeType(mimeType).build();
    }

    private static List<SyncResourceTemplateSpecification> resourceTemplates() {
        ResourceTemplate template = ResourceTemplate.builder("test://template/{id}/data", "template")
                .title("Resource Template")
                .description("A resource template with parameter substitution")
                .mimeType("application/json")
                .build();
        return List.of(new SyncResourceTemplateSpecification(template, (ex, req) -> {
            Matcher m = TEMPLATE_URI.matcher(req.uri());
            String id = m.matches() ? m.group(1) : "";
            String body = "{\"id\":" + jsonString(id) + ",\"templateTest\":true,\"data\":"
                    + jsonString("Data for ID: " + id) + "}";
            return readResult(List.of(textResource(req.uri(), "application/json", body)));
        }));
    }

    // ------------------------------------------------------------------ prompts

    private static List<SyncPromptSpecification> prompts() {
        return List.of(
                new SyncPromptSpecification(prompt("test_simple_prompt", "Simple Test Prompt",
                        "A simple prompt without arguments"),
                        (ex, req) -> promptResult(List.of(
                                userMessage(text("This is a simple prompt for testing."))))),
                new SyncPromptSpecification(prompt("test_prompt_with_arguments", "Prompt With Arguments",
                        "A prompt with required arguments",
                        required("arg1", "First test argument"), required("arg2", "Second test argument")),
                        (ex, req) -> promptResult(List.of(userMessage(text(
                                "Prompt with arguments: arg1='" + promptArg(req.arguments(), "arg1") + "', arg2='"
                                        + promptArg(req.arguments(), "arg2") + "'"))))),
                new SyncPromptSpecification(prompt("test_prompt_with_embedded_resource",
                        "Prompt With Embedded Resource", "A prompt that includes an embedded resource",
                        required("resourceUri", "URI of the resource to embed")),
                        (ex, req) -> promptResult(List.of(
                                userMessage(embedded(textResource(
                                        promptArg(req.arguments(), "resourceUri"), "text/plain",
                                        "Embedded resource content for testing."))),
                                userMessage(text("Please process the embedded resource above."))))),
                new SyncPromptSpecification(prompt("test_prompt_with_image", "Prompt With Image",
                        "A prompt that includes image content"),
                        (ex, req) -> promptResult(List.of(
                                userMessage(image()),
                                userMessage(text("Please analyze the image above."))))));
    }

    // ------------------------------------------------------------------ helpers

    static Prompt prompt(String name, String title, String description, PromptArgument... arguments) {
        return Prompt.builder(name).title(title).description(description).arguments(List.of(arguments)).build();
    }

    private static PromptArgument required(String name, String description) {
        return PromptArgument.builder(name).description(description).required(true).build();
    }

    static PromptMessage userMessage(Content content) {
        return PromptMessage.builder(Role.USER, content).build();
    }

    static GetPromptResult promptResult(List<PromptMessage> messages) {
        return GetPromptResult.builder(messages).build();
    }

    private static ReadResourceResult readResult(List<ResourceContents> contents) {
        return ReadResourceResult.builder(contents).build();
    }

    private static ImageContent image() {
        return ImageContent.builder(PNG_BASE64, "image/png").build();
    }

    private static TextResourceContents textResource(String uri, String mimeType, String text) {
        return TextResourceContents.builder(uri, text).mimeType(mimeType).build();
    }

    private static EmbeddedResource embedded(TextResourceContents contents) {
        return EmbeddedResource.builder(contents).build();
    }

    private static <T> List<T> concat(List<T> a, List<T> b) {
        List<T> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    static TextContent text(String s) {
        return TextContent.builder(s).build();
    }

    static CallToolResult result(Content... content) {
        return CallToolResult.builder().content(List.of(content)).isError(false).build();
    }

    static Map<String, Object> noArgs() {
        return schema(Map.of(), List.of());
    }

    static Map<String, Object> schema(Map<String, Object> properties, List<String> required) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("type", "object");
        s.put("properties", properties);
        if (!required.isEmpty()) {
            s.put("required", required);
        }
        return s;
    }

    static Map<String, Object> stringProp(String description) {
        return Map.of("type", "string", "description", description);
    }

    private static String arg(CallToolRequest req, String name) {
        Object v = req.arguments() == null ? null : req.arguments().get(name);
        return v == null ? "" : String.valueOf(v);
    }

    private static String promptArg(Map<String, Object> args, String name) {
        Object v = args == null ? null : args.get(name);
        return v == null ? "" : String.valueOf(v);
    }

    private static String toJson(Object value) {
        try {
            return McpJsonDefaults.getMapper().writeValueAsString(value == null ? Map.of() : value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String jsonString(String s) {
        return toJson(s);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
