package dev.shadowcat.session;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Mints and checks the {@code requestState} the gateway hands a 2026-07-28 client with an {@code input_required}
 * result. The client echoes it back unchanged on its retry, so it is attacker-controlled: it carries only a random
 * call id and a round number, and an HMAC-SHA256 over those plus the method and name of the request it belongs to
 * (a state cannot be replayed on another tool). The key is random per gateway start; the calls it names live in
 * this node's memory anyway.
 *
 * <p>Thread-safe: every call makes its own {@link Mac}.
 */
public final class RequestStateSigner {
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder B64D = Base64.getUrlDecoder();
    private static final int ID_BYTES = 16;
    /** Marks the gateway's own states, so a 2026 server's requestState passes through unread. */
    private static final String PREFIX = "sc1.";

    private final SecretKeySpec key;
    private final SecureRandom random = new SecureRandom();

    /** What a valid state names. */
    public record State(String callId, int round) {
    }

    public RequestStateSigner() {
        byte[] k = new byte[32];
        random.nextBytes(k);
        this.key = new SecretKeySpec(k, "HmacSHA256");
    }

    /** A fresh unguessable call id. */
    public String newCallId() {
        byte[] id = new byte[ID_BYTES];
        random.nextBytes(id);
        return B64.encodeToString(id);
    }

    public String sign(State s, String method, String name) {
        byte[] payload = payload(s);
        return PREFIX + B64.encodeToString(payload) + "." + B64.encodeToString(mac(payload, method, name));
    }

    /** Whether a requestState was minted by a gateway (valid or not), rather than by a server behind it. */
    public static boolean isOurs(String token) {
        return token.startsWith(PREFIX);
    }

    /** The state, or null when it is malformed, was altered, or belongs to another method or name. */
    public State verify(String token, String method, String name) {
        if (token == null || !isOurs(token)) {
            return null;
        }
        token = token.substring(PREFIX.length());
        int dot = token.indexOf('.');
        if (dot <= 0 || dot != token.lastIndexOf('.')) {
            return null;
        }
        byte[] payload;
        byte[] tag;
        try {
            payload = B64D.decode(token.substring(0, dot));
            tag = B64D.decode(token.substring(dot + 1));
        } catch (IllegalArgumentException e) {
            return null;
        }
        if (payload.length != ID_BYTES + 4 || !MessageDigest.isEqual(tag, mac(payload, method, name))) {
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(payload);
        byte[] id = new byte[ID_BYTES];
        b.get(id);
        return new State(B64.encodeToString(id), b.getInt());
    }

    private static byte[] payload(State s) {
        byte[] id = B64D.decode(s.callId());
        return ByteBuffer.allocate(ID_BYTES + 4).put(id).putInt(s.round()).array();
    }

    private byte[] mac(byte[] payload, String method, String name) {
        try {
            Mac m = Mac.getInstance("HmacSHA256");
            m.init(key);
            m.update(payload);
            m.update((byte) 0);
            m.update(method.getBytes(StandardCharsets.UTF_8));
            m.update((byte) 0);
            m.update((name == null ? "" : name).getBytes(StandardCharsets.UTF_8));
            return m.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every Java runtime", e);
        }
    }
}
