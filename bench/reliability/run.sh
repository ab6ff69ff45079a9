#!/usr/bin/env bash
# The reliability suite: failure scenarios against the real gateway (the WAR on jetty-home 12.1.12 with the shipped
# jetty-config/, started by jetty-config/run.sh), loopback only, bounded in count and time. Prints one table row per
# scenario and exits non-zero if any scenario misses its target. See docs/reliability.md.
#
#   bench/reliability/run.sh [--ci|--full] [--churn N] [--killed K] [--slowloris S] [--slowloris-seconds T]
#                            [--abandoned A] [--only churn,abandoned,killed,slow-readers,hostile,slowloris,sigterm]
#
#   --ci    (default) 1,000 churned sessions, 5 killed children, 300 slowloris connections for 10 s: about 1 min on 2 cores
#   --full  the issue's sizes: 100,000 sessions, 50 killed children, 20,000 slowloris connections for 60 s
#           (capped below this shell's ulimit -n); about 3 min on 2 cores
#
# Needs target/shadowcat.war (mvn -q package -DskipTests) and JDK 17+ (java, jcmd). jetty-config/run.sh fetches
# jetty-home into target/ with Maven if it is missing. Env: SHADOWCAT_WAR (another WAR), RELIABILITY_PORT (fixed port),
# RELIABILITY_DIR (where the config, gateway log and table go; default a new directory under ${TMPDIR:-/tmp}).
# The scenarios run in a fixed order; the last one (sigterm) stops the gateway.
set -eu

MODE=ci
case "${1:-}" in
  --ci) shift ;;
  --full) MODE=full; shift ;;
  -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
esac

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
WAR=${SHADOWCAT_WAR:-$ROOT/target/shadowcat.war}
if [ ! -f "$WAR" ]; then
  echo "reliability: $WAR not found; build it first: mvn -q package -DskipTests" >&2
  exit 2
fi
command -v jcmd >/dev/null || { echo "reliability: jcmd not found (needs a JDK, not a JRE)" >&2; exit 2; }

WORK=${RELIABILITY_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/shadowcat-reliability.XXXXXX")}
mkdir -p "$WORK"
DEMO='["${java}", "-XX:TieredStopAtLevel=1", "-cp", "${webapp.classpath}", "dev.shadowcat.demo.DemoMcpServer"]'
cat > "$WORK/shadowcat.json" <<EOF
{
  "upstreams": {
    "demo":   { "command": $DEMO, "pool": { "maxSize": 16, "minIdle": 2 } },
    "shared": { "command": $DEMO, "mode": "shared", "pool": { "maxSize": 2, "minIdle": 1 } }
  },
  "server": { "shutdownTimeoutSeconds": 3, "reclaimIdleSeconds": 2 }
}
EOF

# a free loopback port below the ephemeral range (the slowloris scenario uses thousands of ephemeral ports)
free_port() {
  local p
  for _ in $(seq 1 100); do
    p=$(( 20000 + RANDOM % 10000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  return 1
}
PORT=${RELIABILITY_PORT:-$(free_port)}

START=$(date +%s)
JAVA_OPTS="-Dshadowcat.config=$WORK/shadowcat.json" SHADOWCAT_WAR="$WAR" \
  sh "$ROOT/jetty-config/run.sh" "jetty.http.port=$PORT" > "$WORK/gateway.log" 2>&1 &
GW=$! # run.sh execs java: this is the Jetty JVM's pid

stop_gateway() {
  if kill -0 "$GW" 2>/dev/null; then
    kill -TERM "$GW" 2>/dev/null || true
    for _ in $(seq 1 40); do
      kill -0 "$GW" 2>/dev/null || break
      sleep 0.5
    done
    if kill -0 "$GW" 2>/dev/null; then
      echo "reliability: gateway $GW still running 20 s after SIGTERM; killing it" >&2
      kill -KILL "$GW" 2>/dev/null || true
    fi
  fi
}
trap stop_gateway EXIT
trap 'exit 130' INT TERM

echo "reliability: mode $MODE, gateway pid $GW on 127.0.0.1:$PORT, files in $WORK" >&2
for i in $(seq 1 360); do
  if ! kill -0 "$GW" 2>/dev/null; then
    echo "reliability: the gateway exited during startup; its log:" >&2
    tail -40 "$WORK/gateway.log" >&2
    exit 1
  fi
  if [ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$PORT/api/health" || true)" = 200 ]; then
    break
  fi
  if [ "$i" = 360 ]; then
    echo "reliability: /api/health not 200 after 180 s; the gateway's log:" >&2
    tail -40 "$WORK/gateway.log" >&2
    exit 1
  fi
  sleep 0.5
done
echo "reliability: gateway up after $(( $(date +%s) - START )) s" >&2

set +e
java -Djdk.httpclient.keepalive.timeout=2 "$ROOT/bench/reliability/Reliability.java" \
  --mode "$MODE" --port "$PORT" --pid "$GW" --table "$WORK/table.md" "$@"
RC=$?
set -e
stop_gateway
if grep -q 'Exception in thread\|OutOfMemoryError' "$WORK/gateway.log"; then
  echo "reliability: the gateway's log has uncaught exceptions or OutOfMemoryError (see $WORK/gateway.log)" >&2
fi
echo "reliability: mode $MODE took $(( $(date +%s) - START )) s; exit $RC; table in $WORK/table.md, gateway log in $WORK/gateway.log" >&2
exit "$RC"
