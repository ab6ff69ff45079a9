package dev.shadowcat.conformance;

import io.modelcontextprotocol.server.McpServerFeatures.SyncPromptSpecification;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.McpSyncServerExchange;
import io.modelcontextprotocol.spec.McpSchema.CreateMessageRequest;
import io.modelcontextprotocol.spec.McpSchema.CreateMessageResult;
import io.modelcontextprotocol.spec.McpSchema.ElicitFormRequest;
import io.modelcontextprotocol.spec.McpSchema.ElicitResult;
import io.modelcontextprotocol.spec.McpSchema.ListRootsResult;
import io.modelcontextprotocol.spec.McpSchema.Role;
import io.modelcontextprotocol.spec.McpSchema.Root;
import io.modelcontextprotocol.spec.McpSchema.SamplingMessage;
import io.modelcontextprotocol.spec.McpSchema.TextContent;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import static dev.shadowcat.conformance.ConformanceServer.log;
import static dev.shadowcat.conformance.ConformanceServer.noArgs;
import static dev.shadowcat.conformance.ConformanceServer.prompt;
import static dev.shadowcat.conformance.ConformanceServer.promptResult;
import static dev.shadowcat.conformance.ConformanceServer.result;
import static dev.shadowcat.conformance.ConformanceServer.schema;
import static dev.shadowcat.conformance.ConformanceServer.stringProp;
import static dev.shadowcat.conformance.ConformanceServer.text;
import static dev.shadowcat.conformance.ConformanceServer.tool;
import static dev.shadowcat.conformance.ConformanceServer.userMessage;

/**
 * The tools and prompts the suite's 2026-07-28 scenarios call (input-required-result-*, server-stateless), written
 * the way a server of the stateful revisions writes them: it asks its client mid-call (elicitation, sampling,
 * roots) and waits. Through the gateway's stateless bridge those questions reach a 2026 client as
 * {@code input_required} results; the suite then checks what the gateway made of them. The requestState the
 * scenarios echo is the gateway's, so a tool that "validates the state" only has to see its question answered.
 */
final class ModernScenarioTools {
    /** For questions asked at once; daemon threads, so the fixture still exits when stdin closes. */
    private static final ExecutorService ASK = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fixture-ask");
        t.setDaemon(true);
        return t;
    });
    private static volatile McpSyncServer server;

    private ModernScenarioTools() {
    }

    static void serve(McpSyncServer s) {
        server = s;
    }

    static List<SyncToolSpecification> tools() {
        List<SyncToolSpecification> tools = new ArrayList<>();
        tools.add(tool("test_input_required_result_elicitation", "Asks the user's name (elicitation)", noArgs(),
                (ex, req) -> result(text("Hello, " + elicit(ex, "What is your name?", "name").content().get("name") + "!"))));
        tools.add(tool("test_input_required_result_sampling", "Asks the model a question (sampling)", noArgs(),
                (ex, req) -> result(text("The model said: " + sample(ex, "What is the capital of France?", 100)))));
        tools.add(tool("test_input_required_result_list_roots", "Asks for the client's roots", noArgs(),
                (ex, req) -> result(text("Roots: " + roots(ex.listRoots())))));
        tools.add(tool("test_input_required_result_request_state", "Asks for a confirmation", noArgs(),
                (ex, req) -> {
                    ElicitResult r = ex.createElicitation(ElicitFormRequest.builder("Please confirm",
                            schema(Map.of("ok", Map.of("type", "boolean")), List.of("ok"))).build());
                    return result(text("state-ok: action=" + r.action().name().toLowerCase(java.util.Locale.ROOT)));
                }));
        tools.add(tool("test_input_required_result_multiple_inputs", "Asks three questions at once", noArgs(),
                (ex, req) -> {
                    // three questions at once, as close together as a cold JVM allows
                    var name = CompletableFuture.supplyAsync(() -> elicit(ex, "What is your name?", "name"), ASK);
                    var greeting = CompletableFuture.supplyAsync(() -> sample(ex, "Generate a greeting", 50), ASK);
                    var roots = CompletableFuture.supplyAsync(ex::listRoots, ASK);
                    return result(text(greeting.join() + ", " + name.join().content().get("name") + " (roots: "
                            + roots(roots.join()) + ")"));
                }));
        tools.add(tool("test_input_required_result_multi_round", "Asks two questions, one after the other", noArgs(),
                (ex, req) -> {
                    Object name = elicit(ex, "Step 1: What is your name?", "name").content().get("name");
                    Object color = elicit(ex, "Step 2: What is your favorite color?", "color").content().get("color");
                    return result(text(name + " likes " + color));
                }));
        tools.add(tool("test_input_required_result_tampered_state", "Asks for a confirmation", noArgs(),
                (ex, req) -> result(text("confirmed: " + elicit(ex, "Please confirm", "ok").action()))));
        tools.add(tool("test_input_required_result_capabilities",
                "Asks for sampling and elicitation at once and uses whatever the client can answer", noArgs(),
                (ex, req) -> {
                    var sampled = CompletableFuture.supplyAsync(() -> attempt(() -> sample(ex, "Say hello", 20)), ASK);
                    var elicited = CompletableFuture.supplyAsync(() -> attempt(() -> elicit(ex, "Your name?", "name").action().toString()), ASK);
                    return result(text("sampling: " + sampled.join() + "; elicitation: " + elicited.join()));
                }));
        tools.add(tool("test_missing_capability", "Needs sampling; fails when the client cannot sample", noArgs(),
                (ex, req) -> result(text("The model said: " + sample(ex, "Needs sampling", 10)))));
        tools.add(tool("test_streaming_elicitation", "Asks the user something mid-call", noArgs(),
                (ex, req) -> result(text("Answered: " + elicit(ex, "Anything to add?", "note").action()))));
        tools.add(tool("test_logging_tool", "Logs twice, then answers", noArgs(),
                (ex, req) -> {
                    log(ex, "first log line");
                    log(ex, "second log line");
                    return result(text("logged twice"));
                }));
        tools.add(tool("test_trigger_tool_change", "Announces that the tool list changed", noArgs(),
                (ex, req) -> {
                    server.notifyToolsListChanged();
                    return result(text("tools/list_changed sent"));
                }));
        tools.add(tool("test_trigger_prompt_change", "Announces that the prompt list changed", noArgs(),
                (ex, req) -> {
                    server.notifyPromptsListChanged();
                    return result(text("prompts/list_changed sent"));
                }));
        return tools;
    }

    static List<SyncPromptSpecification> prompts() {
        return List.of(new SyncPromptSpecification(prompt("test_input_required_result_prompt", "Prompt Needing Input",
                "Asks the user for context before it is built"),
                (ex, req) -> promptResult(List.of(userMessage(text("Context: "
                        + elicit(ex, "What context should the prompt use?", "context").content().get("context")))))));
    }

    private static ElicitResult elicit(McpSyncServerExchange ex, String message, String field) {
        ElicitResult r = ex.createElicitation(ElicitFormRequest.builder(message,
                schema(Map.of(field, stringProp(field)), List.of(field))).build());
        return r.content() == null ? new ElicitResult(r.action(), Map.of(field, "(none)"), r.meta()) : r;
    }

    private static String sample(McpSyncServerExchange ex, String question, int maxTokens) {
        CreateMessageResult r = ex.createMessage(CreateMessageRequest.builder(
                List.of(SamplingMessage.builder(Role.USER, text(question)).build()), maxTokens).build());
        return r.content() instanceof TextContent t ? t.text() : String.valueOf(r.content());
    }

    private static String roots(ListRootsResult r) {
        return r.roots().stream().map(Root::uri).collect(Collectors.joining(", "));
    }

    private static String attempt(Supplier<String> ask) {
        try {
            return ask.get();
        } catch (RuntimeException e) {
            return "unavailable (" + e.getMessage() + ")";
        }
    }

}
