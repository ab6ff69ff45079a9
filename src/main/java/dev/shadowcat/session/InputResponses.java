package dev.shadowcat.session;

import dev.shadowcat.protocol.JsonP;
import dev.shadowcat.protocol.JsonScan;
import dev.shadowcat.protocol.Message;

import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonValue;

import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * The retry half of the 2026-07-28 input-required round trip as it arrives from a client: {@code inputResponses}
 * (question key → the client's answer) and {@code requestState}. Checked before anything reaches the upstream,
 * so a malformed answer is refused with -32602 and the parked call stays valid for a corrected retry.
 */
final class InputResponses {
    private static final Set<String> ELICIT_ACTIONS = Set.of("accept", "decline", "cancel");

    private InputResponses() {
    }

    /** What is wrong with the retry's fields, or null when they are well-formed. */
    static String problem(JsonObject params) {
        if (params.containsKey("requestState") && params.get("requestState").getValueType() != JsonValue.ValueType.STRING) {
            return "requestState must be the string the server returned";
        }
        if (!params.containsKey("inputResponses")) {
            return null;
        }
        JsonValue v = params.get("inputResponses");
        if (v.getValueType() != JsonValue.ValueType.OBJECT) {
            return "inputResponses must be an object mapping each inputRequests key to its result";
        }
        for (var e : v.asJsonObject().entrySet()) {
            String key = e.getKey();
            if (e.getValue().getValueType() != JsonValue.ValueType.OBJECT) {
                return "inputResponses." + key + " must be an object (an ElicitResult, CreateMessageResult or ListRootsResult)";
            }
            JsonObject answer = e.getValue().asJsonObject();
            // keys are the gateway's own: their prefix says which question they answer
            if (key.startsWith("elicitation-") && !(answer.get("action") instanceof jakarta.json.JsonString s
                    && ELICIT_ACTIONS.contains(s.getString()))) {
                return "inputResponses." + key + " must be an ElicitResult with action accept, decline or cancel";
            }
            if (key.startsWith("sampling-") && !(answer.containsKey("role") && answer.containsKey("content"))) {
                return "inputResponses." + key + " must be a CreateMessageResult with role and content";
            }
            if (key.startsWith("roots-") && !(answer.get("roots") instanceof jakarta.json.JsonArray)) {
                return "inputResponses." + key + " must be a ListRootsResult with a roots array";
            }
        }
        return null;
    }

    /** The request without the retry fields, for an upstream that never asked anything. */
    static Message strip(Message request, JsonObject params) {
        JsonObjectBuilder p = JsonP.PROVIDER.createObjectBuilder(params);
        p.remove("inputResponses");
        p.remove("requestState");
        String body = "{\"jsonrpc\":\"2.0\",\"id\":" + request.idJson() + ",\"method\":" + JsonScan.quote(request.method())
                + ",\"params\":" + p.build() + "}";
        return Message.trusted(body.getBytes(StandardCharsets.UTF_8));
    }
}
