package dev.shadowcat.pipeline;

import dev.shadowcat.protocol.ErrorCodes;
import dev.shadowcat.protocol.Errors;
import dev.shadowcat.protocol.Message;
import dev.shadowcat.upstream.Exchange;
import dev.shadowcat.upstream.Upstream;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The one chain of stages every frame crosses, assembled once ({@link #assemble}) and applied to every upstream
 * by {@link #wrap}. Immutable and thread-safe.
 *
 * <p>Toward the upstream the stages run in priority order, toward the client in reverse. A stage that answers a
 * request itself sends the answer back through the stages before it, so an outer stage (metrics, audit) sees
 * refusals made by an inner one exactly as it sees the upstream's answers.
 */
public final class Pipeline {
    private static final Logger LOG = Logger.getLogger(Pipeline.class.getName());

    /** Where a frame goes after the last stage, and (for requests) where an answer made by a stage goes. */
    interface Destination {
        void deliver(Frame frame);

        /** An answer to the request frame, already passed back through the stages before the one that made it. */
        default void answer(Frame response) {
            throw new IllegalStateException("only a request can be answered");
        }
    }

    private static final Pipeline EMPTY = new Pipeline(List.of());

    private final Stage[] stages;

    private Pipeline(List<Stage> ordered) {
        this.stages = ordered.toArray(Stage[]::new);
    }

    public static Pipeline empty() {
        return EMPTY;
    }

    /**
     * The chain from the configured built-in stages and the deployment's own (CDI beans), ordered by priority;
     * the built-in stage comes first among equals.
     */
    public static Pipeline assemble(List<Stage> builtIn, List<Stage> deployed) {
        List<Stage> all = new ArrayList<>(builtIn);
        all.addAll(deployed);
        all.sort(Comparator.comparingInt(Stage::priority)); // stable: built-ins stay ahead of equal priorities
        return new Pipeline(all);
    }

    public List<Stage> stages() {
        return List.of(stages);
    }

    public boolean isEmpty() {
        return stages.length == 0;
    }

    /**
     * {@code upstream} behind this chain; {@code via} names the aggregate it serves as a member of (null for an
     * upstream reached directly). With no stages the upstream is returned as it is: an empty chain costs nothing.
     */
    public Upstream wrap(Upstream upstream, String via) {
        return isEmpty() ? upstream : new PipelinedUpstream(upstream, new PipelineRef(this), via);
    }

    void toUpstream(Frame frame, Destination destination) {
        if (stages.length == 0) {
            destination.deliver(frame);
        } else {
            run(0, frame, destination);
        }
    }

    void toClient(Frame frame, Destination destination) {
        if (stages.length == 0) {
            destination.deliver(frame);
        } else {
            run(stages.length - 1, frame, destination);
        }
    }

    private void run(int index, Frame frame, Destination destination) {
        Step step = new Step(index, frame, destination);
        try {
            stages[index].interceptor().intercept(frame, step);
        } catch (RuntimeException | LinkageError e) {
            dev.shadowcat.logging.Logs.log(LOG, Level.WARNING, frame.context(), e,
                    () -> "pipeline stage '" + stages[index].name() + "' failed on " + frame);
            step.recover(e);
        }
    }

    /** The chain as stage {@code index} sees it for one frame. */
    private final class Step extends AtomicBoolean implements Interceptor.Chain {
        private final int index;
        private final Frame frame;
        private final Destination destination;

        Step(int index, Frame frame, Destination destination) {
            this.index = index;
            this.frame = frame;
            this.destination = destination;
        }

        private void once(String what) {
            if (!compareAndSet(false, true)) {
                throw new IllegalStateException("stage '" + stages[index].name() + "' called " + what
                        + " after it had already passed on or answered " + frame);
            }
        }

        @Override
        public void proceed(Frame next) {
            once("proceed");
            if (next.direction() != frame.direction()) {
                throw new IllegalArgumentException("a stage cannot turn a frame around: use respond()");
            }
            int to = frame.direction() == Frame.Direction.TO_UPSTREAM ? index + 1 : index - 1;
            if (to < 0 || to >= stages.length) {
                destination.deliver(next);
            } else {
                run(to, next, destination);
            }
        }

        @Override
        public void respond(byte[] response) {
            if (frame.kind() != Frame.Kind.REQUEST) {
                throw new IllegalStateException("stage '" + stages[index].name() + "' answered a " + frame.kind());
            }
            once("respond");
            if (frame.direction() == Frame.Direction.TO_UPSTREAM) {
                Frame end = Frame.end(response, Exchange.Outcome.REPLIED, frame.context(), frame.message());
                back(index - 1, end);
            } else {
                Frame answer = Frame.toUpstream(Frame.Kind.RESPONSE, Message.trusted(response), frame.context());
                back(index + 1, answer);
            }
        }

        /** An answer made by this stage crosses the stages the request came through, then ends it. */
        private void back(int from, Frame answer) {
            if (from < 0 || from >= stages.length) {
                destination.answer(answer);
                return;
            }
            run(from, answer, destination::answer); // after the outermost stage, the answer ends the request
        }

        /** A stage threw before passing the frame on: requests get an error, everything else goes on unchanged. */
        void recover(Throwable e) {
            if (get()) {
                return; // it had already passed the frame on or answered; what follows is not lost
            }
            if (frame.kind() == Frame.Kind.REQUEST) {
                Message m = frame.message();
                respond(Errors.response(m.idJson(), ErrorCodes.INTERNAL_ERROR,
                        "the gateway's '" + stages[index].name() + "' stage failed: " + e, null));
            } else {
                proceed(frame);
            }
        }
    }
}
