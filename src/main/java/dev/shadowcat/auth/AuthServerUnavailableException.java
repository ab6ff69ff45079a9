package dev.shadowcat.auth;

/**
 * The token could not be judged: the authorization server (its keys, its introspection endpoint) did not answer,
 * or answered with an error. Not the caller's fault, so not a 401 that would make a client throw away a good
 * token and sign in again: the gateway answers 503 with Retry-After. The message never contains the token.
 */
public final class AuthServerUnavailableException extends Exception {
    private static final long serialVersionUID = 1L;

    public AuthServerUnavailableException(String message) {
        super(message, null, false, false);
    }
}
