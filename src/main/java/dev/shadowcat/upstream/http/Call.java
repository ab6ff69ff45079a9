package dev.shadowcat.upstream.http;

import dev.shadowcat.protocol.Message;
import dev.shadowcat.upstream.Exchange;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One client request on its way through an HTTP upstream: its deadline, the event stream carrying its answer,
 * and what that stream already delivered (so a resumed stream never delivers an event twice).
 *
 * <p>Thread-safe; {@link #end} wins once.
 */
final class Call {

    final Message request;
    final Exchange exchange;
    final String idJson;
    final ReconnectPolicy reconnect;
    private final AtomicBoolean ended = new AtomicBoolean();
    private final SeenEvents seen = new SeenEvents();
    volatile ScheduledFuture<?> deadline;
    volatile EventStreamReader reader;
    volatile String lastEventId;

    Call(Message request, Exchange exchange, ReconnectPolicy reconnect) {
        this.request = request;
        this.exchange = exchange;
        this.idJson = request.idJson();
        this.reconnect = reconnect;
    }

    /** False if this event id was already delivered on this call's stream. */
    boolean firstDelivery(String eventId) {
        return seen.first(eventId);
    }

    boolean isEnded() {
        return ended.get();
    }

    /**
     * At the deadline: when the exchange asks for more time (its client is answering the upstream's question),
     * re-arms the deadline to run {@code expire} later and returns true; false means time is up.
     */
    boolean deferDeadline(ScheduledExecutorService scheduler, long timeoutMillis, Runnable expire) {
        long more = exchange.deadlineExtension(timeoutMillis);
        if (more <= 0 || isEnded()) {
            return false;
        }
        deadline = scheduler.schedule(expire, more, TimeUnit.MILLISECONDS);
        return true;
    }

    /** Ends the call once: stops its timer and stream, then tells the exchange. False if it had ended. */
    boolean end(byte[] response, Exchange.Outcome outcome) {
        if (!ended.compareAndSet(false, true)) {
            return false;
        }
        ScheduledFuture<?> d = deadline;
        if (d != null) {
            d.cancel(false);
        }
        EventStreamReader r = reader;
        if (r != null) {
            if (outcome == Exchange.Outcome.REPLIED) {
                r.finish(EventStreamReader.DRAIN_GRACE_MILLIS); // keep the connection reusable
            } else {
                r.cancel();
            }
        }
        exchange.onEnd(response, outcome);
        return true;
    }
}
