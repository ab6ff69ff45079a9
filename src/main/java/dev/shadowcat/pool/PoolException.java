package dev.shadowcat.pool;

/** A lease could not be granted; the message carries the pool's numbers. */
public final class PoolException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public PoolException(String message) {
        super(message);
    }

    public PoolException(String message, Throwable cause) {
        super(message, cause);
    }
}
