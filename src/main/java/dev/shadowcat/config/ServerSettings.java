package dev.shadowcat.config;

import java.time.Duration;
import java.util.List;

/**
 * Front-door settings. Immutable.
 *
 * @param allowedOrigins   Origin values accepted on every request; entries may end in {@code :*} for any port
 * @param allowedHosts     Host header names accepted (DNS-rebinding guard), without port
 * @param maxBodyBytes     largest POST body; larger gets 413
 * @param keepAlive        interval of SSE comment frames
 * @param sessionIdleTimeout sessions with no request for this long are closed (later requests get 404)
 * @param maxSessions      open sessions at once; initialize beyond it gets 503
 * @param shutdownTimeout  how long shutdown waits for in-flight requests
 * @param replayEvents     events kept per SSE stream for Last-Event-ID replay
 * @param sseQueueFrames   frames queued for one slow SSE connection before it is closed
 * @param inputWait        how long a 2026-07-28 call that returned {@code input_required} waits for the client's
 *                         retry before it is cancelled upstream
 * @param reclaimIdle      when a dedicated pool has no free child, a session idle at least this long (no request in
 *                         flight, no open stream) is ended to free one; zero never reclaims
 * @param maxSessionsPerClient open sessions per client (its principal, or its remote address until auth is on)
 * @param apiAllowRemote   whether the operations API ({@code /api}) answers clients that are not on loopback
 * @param replayBytes      bytes of events kept per SSE stream for replay (with {@code replayEvents}, whichever
 *                         bound is hit first); older events go first
 * @param sseQueueBytes    bytes queued for one slow SSE connection before it is closed (one frame always fits)
 * @param sessionBufferBytes bytes one session's streams may keep and queue in all
 * @param totalBufferBytes bytes all sessions together may keep and queue
 * @param maxSessionsPerUpstream open sessions on one upstream or aggregate, so that clients of one cannot take
 *                         every slot of {@code maxSessions} from the others
 * @param logFormat        {@code text}: the container's logging as it is; {@code json}: the gateway's own log lines
 *                         (logger {@code dev.shadowcat}) as one JSON object per line on standard error
 */
public record ServerSettings(List<String> allowedOrigins, List<String> allowedHosts, int maxBodyBytes,
                             Duration keepAlive, Duration sessionIdleTimeout, int maxSessions,
                             Duration shutdownTimeout, int replayEvents, int sseQueueFrames,
                             Duration inputWait, Duration reclaimIdle, int maxSessionsPerClient,
                             boolean apiAllowRemote, long replayBytes, long sseQueueBytes,
                             long sessionBufferBytes, long totalBufferBytes, int maxSessionsPerUpstream,
                             String logFormat) {
}
