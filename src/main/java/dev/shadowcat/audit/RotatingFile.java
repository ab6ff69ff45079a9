package dev.shadowcat.audit;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * An append-only file that rotates by size: {@code file} is current, {@code file.1} the one before, up to
 * {@code file.(maxFiles-1)}; the oldest is deleted. Not thread-safe: confined to the audit writer thread.
 *
 * <p>Written here rather than with {@code java.util.logging.FileHandler}: that one names the current file
 * {@code file.0}, keeps a {@code .lck} file beside it and writes under a lock on the caller's thread.
 */
final class RotatingFile implements AutoCloseable {
    private final Path file;
    private final long maxBytes;
    private final int maxFiles;
    private OutputStream out;
    private long size;

    RotatingFile(Path file, long maxBytes, int maxFiles) throws IOException {
        this.file = file;
        this.maxBytes = maxBytes;
        this.maxFiles = maxFiles;
        open();
    }

    private void open() throws IOException {
        out = new java.io.BufferedOutputStream(Files.newOutputStream(file, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND, StandardOpenOption.WRITE), 64 * 1024); // one write(2) per batch, not per line
        size = Files.size(file);
    }

    /** Appends one line (with its newline); rotates first if the line would not fit. */
    void write(byte[] line) throws IOException {
        if (size > 0 && size + line.length > maxBytes) {
            rotate();
        }
        out.write(line);
        size += line.length;
    }

    void flush() throws IOException {
        out.flush();
    }

    private void rotate() throws IOException {
        out.close();
        if (maxFiles <= 1) {
            Files.deleteIfExists(file);
        } else {
            Files.deleteIfExists(sibling(maxFiles - 1));
            for (int i = maxFiles - 2; i >= 1; i--) {
                if (Files.exists(sibling(i))) {
                    Files.move(sibling(i), sibling(i + 1), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            Files.move(file, sibling(1), StandardCopyOption.REPLACE_EXISTING);
        }
        open();
    }

    private Path sibling(int n) {
        return file.resolveSibling(file.getFileName() + "." + n);
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
