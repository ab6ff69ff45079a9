package dev.shadowcat.auth;

/** A bearer token the gateway does not accept; the message says why and never contains the token. */
public final class InvalidTokenException extends Exception {
    private static final long serialVersionUID = 1L;

    public InvalidTokenException(String message) {
        super(message, null, false, false);
    }
}
