[description]
Graceful stop for Shadowcat: Server.stopTimeout, so that on SIGTERM Jetty stops accepting, then waits up to
that long for open connections to end before it closes them and destroys the web application. The gateway
drains in that window (it starts its drain from a JVM shutdown hook): calls in flight finish until
server.shutdownTimeoutSeconds, the rest get a JSON-RPC error, new requests get 503 with Retry-After.
Keep jetty.server.stopTimeout above server.shutdownTimeoutSeconds (default 10 s) plus a few seconds.

At the start of the stop Jetty gives every connection a short idle timeout (the connector's
shutdownIdleTimeout, 1 s by default), and an idle keep-alive connection that has been quiet for longer is
closed at once: a client about to send on it sees a reset instead of the gateway's 503. This module sets it
to 5 s (the Retry-After the gateway sends), so a client that still has a connection gets a readable answer.

Jetty's own `graceful` module is not used: its GracefulHandler answers new requests with a plain 503 before
they reach the gateway, without Retry-After and without a JSON-RPC body a client can read.

[tags]
server

[depend]
server
http

[xml]
etc/shadowcat-stop.xml

[ini-template]
## Milliseconds Jetty waits for open connections on stop (gateway drain + writing the last answers).
# jetty.server.stopTimeout=15000
## Milliseconds an idle connection stays open once the stop began (Jetty's default is 1000).
# jetty.http.shutdownIdleTimeout=5000
