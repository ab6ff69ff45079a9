package dev.shadowcat.it.stage;

import dev.shadowcat.pipeline.Frame;
import dev.shadowcat.pipeline.Interceptor;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A deployment's own stage, added to the WAR by {@code PipelineIT} as a plain CDI bean: it appends one line per
 * frame it sees ({@code session upstream direction kind what}) to the file named by the system property
 * {@code shadowcat.test.frames}. Test code only: it writes on the I/O thread, which a real stage must not.
 */
@ApplicationScoped
@Priority(150)
public class FrameLogStage implements Interceptor {
    @Override
    public void intercept(Frame f, Chain chain) {
        String file = System.getProperty("shadowcat.test.frames");
        if (file != null) {
            var m = f.message();
            String what = f.isEnd() ? "end " + f.context().method() + " " + f.outcome()
                    : m.method() != null ? m.method() : "answer";
            String line = f.context().session() + " " + f.context().upstream() + " "
                    + (f.direction() == Frame.Direction.TO_UPSTREAM ? "up" : "down") + " " + f.kind() + " " + what + "\n";
            synchronized (FrameLogStage.class) {
                try {
                    Files.writeString(Path.of(file), line, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        }
        chain.proceed(f);
    }
}
