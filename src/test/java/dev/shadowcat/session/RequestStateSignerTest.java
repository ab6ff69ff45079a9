package dev.shadowcat.session;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class RequestStateSignerTest {
    private final RequestStateSigner signer = new RequestStateSigner();

    @Test
    void aStateComesBackAsSigned_forTheRequestItWasIssuedFor() {
        RequestStateSigner.State s = new RequestStateSigner.State(signer.newCallId(), 3);
        String token = signer.sign(s, "tools/call", "deploy");
        assertEquals(s, signer.verify(token, "tools/call", "deploy"));
    }

    @Test
    void alteredForeignOrMalformedStatesAreRefused() {
        String token = signer.sign(new RequestStateSigner.State(signer.newCallId(), 1), "tools/call", "deploy");
        assertNull(signer.verify(token, "tools/call", "delete_everything"), "another tool");
        assertNull(signer.verify(token, "prompts/get", "deploy"), "another method");
        assertNull(new RequestStateSigner().verify(token, "tools/call", "deploy"), "another gateway's key");
        char[] c = token.toCharArray();
        c[3] = c[3] == 'A' ? 'B' : 'A';
        assertNull(signer.verify(new String(c), "tools/call", "deploy"), "a changed call id");
        assertNull(signer.verify(token + "-TAMPERED", "tools/call", "deploy"));
        assertNull(signer.verify("", "tools/call", "deploy"));
        assertNull(signer.verify("a.b.c", "tools/call", "deploy"));
        assertNull(signer.verify("!!!.???", "tools/call", "deploy"));
        assertNull(signer.verify(null, "tools/call", "deploy"));
    }

    @Test
    void callIdsDoNotRepeat() {
        assertNotEquals(signer.newCallId(), signer.newCallId());
    }
}
