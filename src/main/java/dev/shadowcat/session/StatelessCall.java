package dev.shadowcat.session;

import dev.shadowcat.protocol.ErrorCodes;
import dev.shadowcat.protocol.Errors;
import dev.shadowcat.protocol.JsonScan;
import dev.shadowcat.protocol.Message;
import dev.shadowcat.upstream.ClientSession;
import dev.shadowcat.upstream.Exchange;
import dev.shadowcat.upstream.UpstreamBinding;
import dev.shadowcat.upstream.UpstreamPeer;

import jakarta.json.JsonObject;
import jakarta.json.JsonValue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One 2026-07-28 request through the bridge's upstream session, across every round of the input-required (MRTR)
 * exchange. A stateful upstream asks its client mid-call (sampling, elicitation, roots); a 2026 client cannot be
 * asked, so the gateway parks the upstream call, answers the client with {@code resultType: "input_required"}
 * listing the questions and a signed {@code requestState}, and when the client retries with {@code inputResponses}
 * and that state, answers the upstream's questions and lets the same upstream call go on.
 *
 * <p>States: {@code RUNNING} (a client round waits: notifications and the end go to its sink), {@code PARKED} (an
 * input_required result went out; the upstream call waits for the retry; its end, if it comes, is held for the
 * retry), {@code ENDED}. Questions that arrive close together are gathered into one result: the upstream may ask
 * several at once and there is no signal that it has finished asking, so the result waits until it has been quiet
 * for {@link #GATHER_QUIET_MILLIS} (at most {@link #GATHER_MAX_MILLIS}).
 *
 * <p>Thread-safe: state is guarded by {@code this}; sinks, peers and the binding are called outside the lock.
 */
final class StatelessCall implements Exchange {
    static final long GATHER_QUIET_MILLIS = 100;
    static final long GATHER_MAX_MILLIS = 500;
    static final Set<String> INTERACTIVE = Set.of("tools/call", "prompts/get", "resources/read");
    private static final Map<String, String> CAPABILITY = Map.of(
            "elicitation/create", "elicitation", "sampling/createMessage", "sampling", "roots/list", "roots");
    private static final Set<String> CACHEABLE = Set.of("tools/list", "prompts/list", "resources/list",
            "resources/templates/list", "resources/read");

    private enum State { RUNNING, PARKED, ENDED }

    /** One client round: the request (its id is echoed), where its answer goes, what it declared. */
    record Round(Message request, StatelessBridge.Sink sink, JsonObject capabilities, String clientToken, boolean logs) {
    }

    /** A question from the upstream that the client has not answered yet. */
    private record Asked(String key, String method, String paramsJson, UpstreamPeer peer, String upstreamIdJson) {
    }

    private final StatelessBridge bridge;
    final String callId;
    /** Who started the call: only that caller's retry may resume it (its requestState is useless to anyone else). */
    final String principal;
    private final java.util.Set<String> grants;

    @Override
    public String principal() {
        return principal;
    }

    @Override
    public java.util.Set<String> grants() {
        return grants;
    }
    final String method;
    final String name;
    private final String minted;
    volatile UpstreamBinding binding;
    /** The binding is this call's own session, closed when the call ends. */
    private volatile boolean ownsBinding;
    // guarded by this
    private State state = State.RUNNING;
    private Round round;
    private JsonObject lastCapabilities;
    private int roundNo;
    private int keys;
    private final Map<String, Asked> asked = new LinkedHashMap<>();
    private ScheduledFuture<?> gather;
    private long firstAskedAt;
    private volatile long parkedAt;
    private ScheduledFuture<?> expiry;
    private boolean ended;
    private byte[] heldEnd;
    /** When the last retry resumed the call (0: never parked): the upstream's timeout counts from there. */
    private long resumedAt;

    /** Whether {@link #finished} ran: the bridge counts each call's end once, whichever path ends it. */
    private final java.util.concurrent.atomic.AtomicBoolean finished = new java.util.concurrent.atomic.AtomicBoolean();

    StatelessCall(StatelessBridge bridge, String callId, Round first, String minted, String principal,
                  java.util.Set<String> grants) {
        this.principal = principal;
        this.grants = grants;
        this.bridge = bridge;
        this.callId = callId;
        this.method = first.request().method();
        this.name = nameOf(first.request());
        this.minted = minted;
        this.round = first;
        this.lastCapabilities = first.capabilities();
    }

    /** @return false if the client left before the upstream session was ready: then nothing is sent */
    boolean bind(UpstreamBinding b, boolean own) {
        this.ownsBinding = own;
        this.binding = b;
        synchronized (this) {
            return state != State.ENDED;
        }
    }

    /**
     * The upstream's deadline passed: while parked, the call waits for its client, not for the upstream (the park
     * expiry bounds that); after a resume, the upstream gets its full timeout again, counted from the resume.
     */
    @Override
    public long deadlineExtension(long timeoutMillis) {
        synchronized (this) {
            if (state == State.PARKED && !ended) {
                return timeoutMillis;
            }
            if (state == State.RUNNING && resumedAt != 0) {
                return Math.max(0, timeoutMillis - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - resumedAt));
            }
            return 0;
        }
    }

    /** After the call ended: a session opened only for it goes too. */
    private void finished() {
        if (finished.compareAndSet(false, true)) {
            bridge.callFinished();
        }
        UpstreamBinding b = binding;
        if (ownsBinding && b != null) {
            b.close();
        }
    }

    static String nameOf(Message request) {
        return "resources/read".equals(request.method()) ? request.paramString("uri") : request.paramString("name");
    }

    @Override
    public ClientSession session() {
        return bridge;
    }

    // ---- from the upstream ----

    @Override
    public void onMessage(byte[] message) {
        Round r;
        synchronized (this) {
            r = state == State.RUNNING ? round : null;
        }
        if (r == null) {
            return; // parked: nobody listens until the retry
        }
        Message m = Message.trusted(message);
        if (!m.isNotification()) {
            return;
        }
        if ("notifications/message".equals(m.method()) && !r.logs()) {
            return; // 2026-07-28: no log notifications unless the request asked with a logLevel
        }
        if ("notifications/progress".equals(m.method())) {
            long span = m.paramsPath("progressToken");
            if (r.clientToken() == null || span < 0 || !minted.equals(m.textAt(span))) {
                return;
            }
            message = m.rewriteSpan(span, r.clientToken());
        }
        r.sink().message(message);
    }

    @Override
    public void onEnd(byte[] response, Outcome outcome) {
        Round r = null;
        synchronized (this) {
            if (state == State.ENDED || ended) {
                return;
            }
            asked.clear();
            if (gather != null) {
                gather.cancel(false);
                gather = null;
            }
            if (state == State.PARKED) {
                ended = true; // the retry collects it; the expiry still runs in case it never comes
                heldEnd = response;
                return;
            }
            cancelTimers();
            state = State.ENDED;
            r = round;
        }
        bridge.unpark(this);
        deliver(r, response);
        finished();
    }

    /** The upstream asks the client something while this call runs. */
    void asked(Message request, UpstreamPeer from) {
        String capability = CAPABILITY.get(request.method());
        if (capability == null) {
            from.refuse(request.idJson(), ErrorCodes.METHOD_NOT_FOUND, "the client uses the stateless 2026-07-28 protocol; "
                    + request.method() + " cannot be relayed to it");
            return;
        }
        if (!INTERACTIVE.contains(method)) {
            from.refuse(request.idJson(), ErrorCodes.METHOD_NOT_FOUND, "a 2026-07-28 client can only be asked for input during "
                    + "tools/call, prompts/get or resources/read, not during " + method);
            return;
        }
        String needed = requiredCapability(request, capability);
        boolean declared;
        boolean live;
        synchronized (this) {
            live = state != State.ENDED && !ended;
            declared = declares(lastCapabilities, capability, needed);
            if (live && declared) {
                String key = capability + "-" + (++keys);
                asked.put(key, new Asked(key, request.method(), request.paramsJson(), from, request.idJson()));
                if (state == State.RUNNING) {
                    scheduleGatherLocked();
                }
            }
        }
        if (!live) {
            from.refuse(request.idJson(), ErrorCodes.INTERNAL_ERROR, "the request this belonged to has ended");
        } else if (!declared) {
            String data = needed == null ? "{}" : "{" + JsonScan.quote(needed) + ":{}}";
            from.answer(request.idJson(), Message.trusted(Errors.response(request.idJson(), ErrorCodes.MISSING_CLIENT_CAPABILITY,
                    "the client did not declare the '" + capability + (needed == null ? "" : "." + needed) + "' capability on this request",
                    "{\"requiredCapabilities\":{" + JsonScan.quote(capability) + ":" + data + "}}")));
        }
    }

    /**
     * The sub-capability a question needs beyond its capability: elicitation in URL mode needs {@code url}
     * (form mode needs {@code form}, which an empty {@code elicitation: {}} also means); sampling with tools
     * needs {@code tools}. Null when the bare capability is enough.
     */
    private static String requiredCapability(Message request, String capability) {
        if ("elicitation".equals(capability)) {
            return "url".equals(request.paramString("mode")) ? "url" : "form";
        }
        if ("sampling".equals(capability) && request.paramsPath("tools") >= 0) {
            return "tools";
        }
        return null;
    }

    private static boolean declares(JsonObject caps, String capability, String needed) {
        if (caps == null || !(caps.get(capability) instanceof JsonObject c)) {
            return false;
        }
        if (needed == null) {
            return true;
        }
        if ("form".equals(needed) && c.isEmpty()) {
            return true; // 2025-11-25: an empty elicitation capability means form mode
        }
        return c.containsKey(needed);
    }

    private void scheduleGatherLocked() {
        long now = System.nanoTime();
        if (gather == null) {
            firstAskedAt = now;
        } else {
            gather.cancel(false);
        }
        long maxLeft = TimeUnit.MILLISECONDS.toNanos(GATHER_MAX_MILLIS) - (now - firstAskedAt);
        long delay = Math.max(0, Math.min(TimeUnit.MILLISECONDS.toNanos(GATHER_QUIET_MILLIS), maxLeft));
        int expected = roundNo;
        gather = bridge.scheduler().schedule(() -> askClient(expected), delay, TimeUnit.NANOSECONDS);
    }

    /** Parks the call and answers the waiting round with the questions gathered so far. */
    private void askClient(int expectedRound) {
        Round r;
        List<Asked> questions;
        int no;
        synchronized (this) {
            if (state != State.RUNNING || roundNo != expectedRound || asked.isEmpty()) {
                return;
            }
            gather = null;
            r = round;
            questions = new ArrayList<>(asked.values());
            no = ++roundNo;
            state = State.PARKED;
            round = null;
        }
        parkedAt = System.nanoTime();
        bridge.park(this);
        synchronized (this) {
            if (state == State.PARKED && roundNo == no) {
                expiry = bridge.scheduler().schedule(() -> expire(no), bridge.parkTtlMillis(), TimeUnit.MILLISECONDS);
            }
        }
        StringBuilder sb = new StringBuilder("{\"resultType\":\"input_required\",\"inputRequests\":{");
        for (int i = 0; i < questions.size(); i++) {
            Asked a = questions.get(i);
            if (i > 0) {
                sb.append(',');
            }
            JsonScan.quote(sb, a.key()).append(":{\"method\":");
            JsonScan.quote(sb, a.method()).append(",\"params\":").append(a.paramsJson() == null ? "{}" : a.paramsJson()).append('}');
        }
        sb.append("},\"requestState\":");
        JsonScan.quote(sb, bridge.signer().sign(new RequestStateSigner.State(callId, no), bridge.stateScope(method), name)).append('}');
        r.sink().response(Errors.result(r.request().idJson(), sb.toString()));
    }

    private void expire(int no) {
        boolean upstreamBusy;
        synchronized (this) {
            if (state != State.PARKED || roundNo != no) {
                return;
            }
            state = State.ENDED;
            asked.clear();
            upstreamBusy = !ended;
        }
        bridge.unpark(this);
        if (upstreamBusy) {
            binding.cancel(this, "the client did not come back with the input the upstream asked for");
        }
        finished();
    }

    // ---- from the client ----

    /**
     * The client's retry with the state of round {@code no}. Answers the questions it has responses for (the
     * caller validated their shape) and resumes the call on the retry's sink.
     *
     * @return a cancel action for when the client closes the stream, or null when the state is no longer valid
     */
    Runnable resume(int no, Round retry, JsonObject responses) {
        List<Map.Entry<Asked, JsonValue>> answers = new ArrayList<>();
        boolean deliverHeld;
        byte[] held;
        synchronized (this) {
            if (state != State.PARKED || roundNo != no) {
                return null;
            }
            if (expiry != null) {
                expiry.cancel(false);
                expiry = null;
            }
            state = State.RUNNING;
            round = retry;
            resumedAt = System.nanoTime();
            lastCapabilities = retry.capabilities();
            bridge.unpark(this); // under the lock: a re-park by the gather timer cannot come before it
            if (responses != null) {
                for (var it = asked.values().iterator(); it.hasNext(); ) {
                    Asked a = it.next();
                    JsonValue v = responses.get(a.key());
                    if (v != null) {
                        answers.add(Map.entry(a, v));
                        it.remove();
                    }
                }
            }
            deliverHeld = ended;
            held = heldEnd;
            if (deliverHeld) {
                state = State.ENDED;
            } else if (!asked.isEmpty()) {
                scheduleGatherLocked(); // questions left unanswered: ask again
            }
        }
        for (var e : answers) {
            Asked a = e.getKey();
            byte[] body = ("{\"jsonrpc\":\"2.0\",\"id\":" + a.upstreamIdJson() + ",\"result\":" + e.getValue() + "}")
                    .getBytes(StandardCharsets.UTF_8);
            a.peer().answer(a.upstreamIdJson(), Message.trusted(body));
        }
        if (deliverHeld) {
            deliver(retry, held);
            finished();
        }
        return () -> clientLeft(retry);
    }

    /** The client closed the stream of a waiting round: in 2026-07-28 that cancels the request. */
    void clientLeft(Round r) {
        boolean cancel;
        UpstreamBinding b;
        synchronized (this) {
            cancel = state == State.RUNNING && round == r;
            b = binding;
            if (cancel && b == null) {
                state = State.ENDED; // not sent yet: bind() sees this and sends nothing
                return;
            }
        }
        if (cancel) {
            b.cancel(this, "the client closed the stream");
        }
    }

    long parkedAt() {
        return parkedAt;
    }

    /** Gateway shutdown, or too many calls waiting: a parked call is cancelled upstream. */
    void giveUp(String reason) {
        boolean upstreamBusy;
        synchronized (this) {
            if (state != State.PARKED) {
                return;
            }
            state = State.ENDED;
            cancelTimers();
            upstreamBusy = !ended;
        }
        UpstreamBinding b = binding;
        if (b != null && upstreamBusy) {
            b.cancel(this, reason);
        }
        finished();
    }

    private void cancelTimers() {
        if (gather != null) {
            gather.cancel(false);
            gather = null;
        }
        if (expiry != null) {
            expiry.cancel(false);
            expiry = null;
        }
    }

    /** The upstream's end, for the client: its id back, 2026 result fields added, retired error codes mapped. */
    private void deliver(Round r, byte[] response) {
        if (response == null) {
            return; // cancelled: the client closed its stream and expects nothing
        }
        Message m = Message.trusted(Message.trusted(response).rewrite(r.request().idJson(), -1, null));
        if (m.isError()) {
            long c = m.path("error", "code");
            int code = c >= 0 ? parseCode(m.textAt(c)) : 0;
            if (code == ErrorCodes.UPSTREAM_UNAVAILABLE && "resources/read".equals(method)) {
                // -32002 "resource not found" was retired in 2026-07-28 in favour of invalid params
                r.sink().response(m.rewriteSpan(c, Integer.toString(ErrorCodes.INVALID_PARAMS)), 200);
                return;
            }
            r.sink().response(m.bytes(), code == ErrorCodes.MISSING_CLIENT_CAPABILITY ? 400 : 200);
            return;
        }
        if (m.path("result", "resultType") >= 0) {
            r.sink().response(m.bytes(), 200); // a 2026-07-28 server's own result: already what the client expects
            return;
        }
        String extra = "\"resultType\":\"complete\"" + (CACHEABLE.contains(method)
                ? ",\"ttlMs\":0,\"cacheScope\":\"private\"" : "");
        r.sink().response(m.withResultMembers(extra), 200);
    }

    private static int parseCode(String s) {
        try {
            return Integer.parseInt(s.strip());
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
