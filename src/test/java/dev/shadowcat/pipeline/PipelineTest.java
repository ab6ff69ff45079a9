package dev.shadowcat.pipeline;

import dev.shadowcat.protocol.Errors;
import dev.shadowcat.protocol.Message;
import dev.shadowcat.testing.fakes.FakeClient;
import dev.shadowcat.upstream.Exchange;
import dev.shadowcat.upstream.Upstream;
import dev.shadowcat.upstream.UpstreamBinding;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PipelineTest {
    /** Records "<stage> <direction> <kind> <method or outcome>" for every frame it sees, then passes it on. */
    static final class Recorder implements Interceptor {
        final String name;
        final List<String> log;

        Recorder(String name, List<String> log) {
            this.name = name;
            this.log = log;
        }

        @Override
        public void intercept(Frame f, Chain chain) {
            Message m = f.message();
            String what = f.isEnd() ? f.outcome() + " " + f.context().method()
                    : m.method() != null ? m.method() : "answer";
            log.add(name + " " + (f.direction() == Frame.Direction.TO_UPSTREAM ? "up" : "down") + " " + f.kind() + " " + what);
            chain.proceed(f);
        }
    }

    private static Message msg(String json) {
        return Message.trusted(json.getBytes(StandardCharsets.UTF_8));
    }

    private static Message init() {
        return msg("{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\"}}");
    }

    private static Message call(int id, String tool) {
        return msg("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"tools/call\",\"params\":{\"name\":\"" + tool + "\"}}");
    }

    private static Pipeline chain(Interceptor... stages) {
        List<Stage> s = new java.util.ArrayList<>();
        for (int i = 0; i < stages.length; i++) {
            s.add(new Stage("s" + i, (i + 1) * 10, stages[i]));
        }
        return Pipeline.assemble(s, List.of());
    }

    @Test
    void everyFrameCrossesEveryStageInOrderBothWays() throws Exception {
        List<String> log = new CopyOnWriteArrayList<>();
        FakeUpstream fake = new FakeUpstream(List.of("echo"));
        Upstream u = chain(new Recorder("A", log), new Recorder("B", log)).wrap(fake, null);
        FakeClient client = new FakeClient();
        FakeClient.Call init = client.new Call("0");
        UpstreamBinding b = u.open(client, init(), init);
        assertTrue(init.end.get(1, TimeUnit.SECONDS).contains("protocolVersion"));

        FakeClient.Call c = client.new Call("1");
        b.request(call(1, "echo"), c);
        assertTrue(c.end.get(1, TimeUnit.SECONDS).contains("\"text\":\"echo\""));
        assertEquals(1, c.messages.size(), "the progress notification reached the client");

        FakeClient.Call ask = client.new Call("2");
        b.request(msg("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ask\"}"), ask);
        assertEquals("{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"roots\":[]}}", ask.end.get(1, TimeUnit.SECONDS));
        assertTrue(fake.received.contains("answer 77"), "the client's answer went to the upstream with its own id");

        b.notify(msg("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}"));
        fake.lastSession.onUpstreamEvent("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/tools/list_changed\"}".getBytes(StandardCharsets.UTF_8));

        assertEquals(List.of(
                "A up REQUEST initialize", "B up REQUEST initialize", "B down RESPONSE REPLIED initialize", "A down RESPONSE REPLIED initialize",
                "A up REQUEST tools/call", "B up REQUEST tools/call",
                "B down NOTIFICATION notifications/progress", "A down NOTIFICATION notifications/progress",
                "B down RESPONSE REPLIED tools/call", "A down RESPONSE REPLIED tools/call",
                "A up REQUEST ask", "B up REQUEST ask",
                "B down REQUEST roots/list", "A down REQUEST roots/list",
                "A up RESPONSE answer", "B up RESPONSE answer",
                "B down RESPONSE REPLIED ask", "A down RESPONSE REPLIED ask",
                "A up NOTIFICATION notifications/initialized", "B up NOTIFICATION notifications/initialized",
                "B down NOTIFICATION notifications/tools/list_changed", "A down NOTIFICATION notifications/tools/list_changed"), log);
        assertEquals(List.of("event notifications/tools/list_changed", "request roots/list"),
                client.got.stream().sorted().toList());
    }

    @Test
    void aStageAnswerGoesBackThroughTheOuterStagesOnlyAndNeverReachesTheUpstream() throws Exception {
        List<String> log = new CopyOnWriteArrayList<>();
        Interceptor refuse = (f, chain) -> {
            if (f.kind() == Frame.Kind.REQUEST && "tools/call".equals(f.context().method())) {
                chain.respond(Errors.response(f.message().idJson(), -32602, "no", null));
            } else {
                chain.proceed(f);
            }
        };
        FakeUpstream fake = new FakeUpstream(List.of());
        Upstream u = chain(new Recorder("A", log), refuse, new Recorder("C", log)).wrap(fake, null);
        FakeClient client = new FakeClient();
        UpstreamBinding b = u.open(client, init(), client.new Call("0"));
        log.clear();
        FakeClient.Call c = client.new Call("5");
        b.request(call(5, "secret"), c);
        assertEquals("{\"jsonrpc\":\"2.0\",\"id\":5,\"error\":{\"code\":-32602,\"message\":\"no\"}}", c.end.get(1, TimeUnit.SECONDS));
        assertEquals(Exchange.Outcome.REPLIED, c.outcome);
        assertEquals(List.of("A up REQUEST tools/call", "A down RESPONSE REPLIED tools/call"), log);
        assertEquals(List.of("initialize"), fake.received);
    }

    @Test
    void aStageMayRewriteAndMayDelayWithoutHoldingTheCallersThread() throws Exception {
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        try {
            AtomicReference<Thread> deliveredOn = new AtomicReference<>();
            Interceptor delay = (f, chain) -> timer.schedule(() -> chain.proceed(f), 50, TimeUnit.MILLISECONDS);
            Interceptor rename = (f, chain) -> {
                if (f.kind() == Frame.Kind.REQUEST && "tools/call".equals(f.context().method())) {
                    deliveredOn.set(Thread.currentThread());
                    chain.proceed(f.withBytes(call(Integer.parseInt(f.message().idJson()), "renamed").bytes()));
                } else {
                    chain.proceed(f);
                }
            };
            FakeUpstream fake = new FakeUpstream(List.of());
            Upstream u = chain(delay, rename).wrap(fake, null);
            FakeClient client = new FakeClient();
            FakeClient.Call init = client.new Call("0");
            UpstreamBinding b = u.open(client, init(), init);
            init.end.get(1, TimeUnit.SECONDS);
            FakeClient.Call c = client.new Call("3");
            b.request(call(3, "echo"), c);
            assertNull(fake.received.stream().filter(r -> r.startsWith("tools/call")).findAny().orElse(null),
                    "request() returned before the delayed stage passed the request on");
            assertTrue(c.end.get(2, TimeUnit.SECONDS).contains("\"text\":\"renamed\""));
            assertTrue(fake.received.contains("tools/call renamed"));
            assertTrue(deliveredOn.get().getName().startsWith("pool"), "went on from the timer's thread");
        } finally {
            timer.shutdownNow();
        }
    }

    @Test
    void proceedingTwiceIsRefused() throws Exception {
        AtomicReference<Throwable> second = new AtomicReference<>();
        Interceptor twice = (f, chain) -> {
            chain.proceed(f);
            if (f.kind() == Frame.Kind.REQUEST && "tools/call".equals(f.context().method())) {
                second.set(assertThrows(IllegalStateException.class, () -> chain.proceed(f)));
                assertThrows(IllegalStateException.class, () -> chain.respond(new byte[0]));
            }
        };
        FakeUpstream fake = new FakeUpstream(List.of());
        Upstream u = chain(twice).wrap(fake, null);
        FakeClient client = new FakeClient();
        UpstreamBinding b = u.open(client, init(), client.new Call("0"));
        FakeClient.Call c = client.new Call("1");
        b.request(call(1, "echo"), c);
        c.end.get(1, TimeUnit.SECONDS);
        assertTrue(second.get().getMessage().contains("already passed on"));
        assertEquals(1, fake.received.stream().filter(r -> r.startsWith("tools/call")).count(), "sent once");
    }

    @Test
    void aStageThatThrowsFailsTheRequestWithAnErrorAndLetsNotificationsThrough() throws Exception {
        Interceptor broken = (f, chain) -> {
            throw new IllegalArgumentException("boom");
        };
        FakeUpstream fake = new FakeUpstream(List.of());
        Upstream u = chain(broken).wrap(fake, null);
        FakeClient client = new FakeClient();
        FakeClient.Call init = client.new Call("0");
        UpstreamBinding b = u.open(client, init(), init);
        String end = init.end.get(1, TimeUnit.SECONDS);
        assertTrue(end.contains("-32603") && end.contains("'s0' stage failed"), end);
        b.notify(msg("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}"));
        // the initialize never reached the upstream, so the session has no upstream binding: requests fail clearly
        FakeClient.Call c = client.new Call("1");
        b.request(call(1, "echo"), c);
        assertTrue(c.end.get(1, TimeUnit.SECONDS).contains("-32603"));
        assertEquals(List.of(), fake.received);
    }

    @Test
    void cancellationCrossesTheChainAndTheEndSaysCancelled() throws Exception {
        List<String> log = new CopyOnWriteArrayList<>();
        FakeUpstream fake = new FakeUpstream(List.of());
        Upstream u = chain(new Recorder("A", log)).wrap(fake, null);
        FakeClient client = new FakeClient();
        UpstreamBinding b = u.open(client, init(), client.new Call("0"));
        log.clear();
        FakeClient.Call c = client.new Call("9");
        b.request(msg("{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"hang\"}"), c);
        b.cancel(c, "user gave up");
        assertNull(c.end.get(1, TimeUnit.SECONDS));
        assertEquals(Exchange.Outcome.CANCELLED, c.outcome);
        assertEquals(List.of("A up REQUEST hang", "A up NOTIFICATION notifications/cancelled", "A down RESPONSE CANCELLED hang"), log);
    }

    @Test
    void contextNamesTheCallAndAnAggregateLeg() throws Exception {
        AtomicReference<CallContext> seen = new AtomicReference<>();
        Interceptor capture = (f, chain) -> {
            if (f.kind() == Frame.Kind.REQUEST && f.direction() == Frame.Direction.TO_UPSTREAM) {
                seen.set(f.context());
            }
            chain.proceed(f);
        };
        FakeUpstream fake = new FakeUpstream(List.of());
        Upstream u = chain(capture).wrap(fake, "all");
        FakeClient client = new FakeClient();
        UpstreamBinding b = u.open(client, init(), client.new Call("0"));
        b.request(call(4, "echo"), client.new Call("4"));
        CallContext c = seen.get();
        assertEquals("tools/call", c.method());
        assertEquals("echo", c.name());
        assertEquals("fake", c.upstream());
        assertEquals("all", c.via());
        assertEquals("s1", c.session());
        assertEquals(CallContext.ANONYMOUS, c.principal());
        assertEquals(FrontDoor.MCP, c.frontDoor());
        assertTrue(!c.isClientCall(), "an aggregate's leg is not the client's own call");
    }

    @Test
    void anEmptyChainIsNoWrapperAtAll() {
        FakeUpstream fake = new FakeUpstream(List.of());
        assertSame(fake, Pipeline.empty().wrap(fake, null));
        assertSame(fake, chain(new Recorder("A", new CopyOnWriteArrayList<>())).wrap(fake, null).unwrap());
    }

    @Test
    void priorityOrdersDeployedStagesAmongTheBuiltInOnes() {
        Interceptor pass = (f, c) -> c.proceed(f);
        Pipeline p = Pipeline.assemble(List.of(new Stage("metrics", Stage.METRICS, pass), new Stage("filter", Stage.FILTER, pass)),
                List.of(new Stage("mine", 150, pass), new Stage("last", Stage.DEFAULT, pass), new Stage("tie", Stage.FILTER, pass)));
        assertEquals(List.of("metrics", "mine", "filter", "tie", "last"), p.stages().stream().map(Stage::name).toList());
    }

    @Test
    void aSessionClosedWhileAStageHoldsItsInitialize_releasesWhatTheUpstreamOpensLater() throws Exception {
        AtomicReference<Runnable> held = new AtomicReference<>();
        Interceptor hold = (f, chain) -> {
            if (f.kind() == Frame.Kind.REQUEST && "initialize".equals(f.context().method())) {
                held.set(() -> chain.proceed(f));
            } else {
                chain.proceed(f);
            }
        };
        FakeUpstream fake = new FakeUpstream(List.of());
        Upstream u = chain(hold).wrap(fake, null);
        FakeClient client = new FakeClient();
        UpstreamBinding b = u.open(client, init(), client.new Call("0"));
        b.close(); // the client left before the stage let initialize go
        held.get().run();
        assertEquals(List.of("initialize", "close"), fake.received, "the binding opened late is closed at once");
    }

    @Test
    void aRequestWithNoUpstreamBinding_isAnsweredThroughTheOuterStages() throws Exception {
        List<String> log = new CopyOnWriteArrayList<>();
        Interceptor refuseInit = (f, chain) -> {
            if (f.kind() == Frame.Kind.REQUEST && "initialize".equals(f.context().method())) {
                chain.respond(Errors.response(f.message().idJson(), -32603, "no", null));
            } else {
                chain.proceed(f);
            }
        };
        FakeUpstream fake = new FakeUpstream(List.of());
        Upstream u = chain(new Recorder("A", log), refuseInit).wrap(fake, null);
        FakeClient client = new FakeClient();
        UpstreamBinding b = u.open(client, init(), client.new Call("0"));
        log.clear();
        FakeClient.Call c = client.new Call("1");
        b.request(call(1, "echo"), c);
        assertTrue(c.end.get(1, TimeUnit.SECONDS).contains("did not reach upstream"));
        assertEquals(Exchange.Outcome.FAILED, c.outcome);
        assertEquals(List.of("A up REQUEST tools/call", "A down RESPONSE FAILED tools/call"), log,
                "metrics and audit see this end too");
    }
}
