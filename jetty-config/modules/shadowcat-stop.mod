[description]
Graceful stop for Shadowcat: Server.stopTimeout, so that on SIGTERM Jetty stops accepting, then waits up to
that long for open connections to end before it closes them and destroys the web application. The gateway
drains in that window (it starts its drain from a JVM shutdown hook): calls in flight finish until
server.shutdownTimeoutSeconds, the rest get a JSON-RPC error, new requests get 503 with Retry-After.
Keep jetty.server.stopTimeout above server.shutdownTimeoutSeconds (default 10 s) plus a few seconds.

Jetty's own `graceful` module is not used: its GracefulHandler answers new requests with a plain 503 before
they reach the gateway, without Retry-After and without a JSON-RPC body a client can read.

[tags]
server

[depend]
server

[xml]
etc/shadowcat-stop.xml

[ini-template]
## Milliseconds Jetty waits for open connections on stop (gateway drain + writing the last answers).
# jetty.server.stopTimeout=15000
