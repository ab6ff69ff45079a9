#!/usr/bin/env bash
# What authentication costs end to end: the gateway alone (EchoStdioServer behind it, dedicated, metrics on as by
# default) with auth off and with auth on (a Keycloak token, cached after its first call, and an allow-all policy).
#   bench/auth-bench.sh        # about 4 minutes; needs a built WAR and Java 21+ for Keycloak (see README)
# Both gateways run at once on 18080 (off) and 18081 (on); the measured runs alternate between them. Prints one
# JSON line per run from bench/LoadTool.java and writes them to target/auth-bench/results.txt.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
OUT=target/auth-bench
mkdir -p "$OUT"
[[ -f target/shadowcat.war ]] || mvn -q -B -o package -DskipTests
if [[ ! -s target/launcher.cp || pom.xml -nt target/launcher.cp ]]; then
  mvn -q -B -o dependency:build-classpath -Dmdep.outputFile=target/launcher.cp -Dmdep.includeScope=test >/dev/null
fi
KC_PORT=${KC_PORT:-18180}
KC_PORT=$KC_PORT src/test/resources/keycloak/start.sh >"$OUT/keycloak.log" 2>&1 &
KC=$!
GW=
cleanup() { for p in $GW; do kill "$p" 2>/dev/null; done; kill "$KC" 2>/dev/null; pkill -P "$KC" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT
ISSUER="http://127.0.0.1:$KC_PORT/realms/shadowcat"
for _ in $(seq 1 180); do curl -sf "$ISSUER/.well-known/openid-configuration" >/dev/null 2>&1 && break; sleep 1; done

upstream='"echo": { "command": ["${java}", "-cp", "'"$ROOT"'/target/test-classes", "dev.shadowcat.bench.EchoStdioServer"], "mode": "dedicated", "pool": { "maxSize": 40, "minIdle": 33 } }'
cat >"$OUT/off.json" <<JSON
{ "upstreams": { $upstream }, "pipeline": { "metrics": { "enabled": true } } }
JSON
cat >"$OUT/on.json" <<JSON
{ "upstreams": { $upstream }, "pipeline": { "metrics": { "enabled": true } },
  "auth": { "issuer": "$ISSUER", "resource": "https://shadowcat.test/mcp", "publicBaseUrl": "http://127.0.0.1:18081",
            "policy": [ { "roles": ["mcp-service"], "upstreams": ["*"] } ] } }
JSON

start_gw() { # label config port
  java -Djava.util.concurrent.ForkJoinPool.common.parallelism=2 -cp "target/test-classes:target/classes:$(cat target/launcher.cp)" \
    -Dshadowcat.port="$3" -Dshadowcat.host=127.0.0.1 -Dshadowcat.config="$ROOT/$2" -Dshadowcat.war="$ROOT/target/shadowcat.war" \
    dev.shadowcat.launcher.Main >"$OUT/gw-$1.log" 2>&1 &
  GW="$GW $!"
  for _ in $(seq 1 60); do curl -s -o /dev/null "http://127.0.0.1:$3/mcp/echo" -X POST 2>/dev/null && break; sleep 0.5; done
}
cpu_ms() { # pid: user + system CPU time of that process so far, in ms (children not counted)
  awk -v hz="$(getconf CLK_TCK)" '{ print int(($14 + $15) * 1000 / hz) }' "/proc/$1/stat"
}
load() { # label port C calls [auth...]; adds the gateway's own CPU per call, steadier than calls/s on a busy machine
  local label=$1 port=$2 c=$3 calls=$4
  shift 4
  local pid
  pid=$( [ "$port" = 18080 ] && echo "$PID_OFF" || echo "$PID_ON" )
  local before after line
  before=$(cpu_ms "$pid")
  line=$(java -cp "$OUT/tools" LoadTool --url "http://127.0.0.1:$port/mcp/echo" --label "$label" --concurrency "$c" \
    --calls "$calls" --warmup 50 "$@" | head -1)
  after=$(cpu_ms "$pid")
  echo "${line%\}},\"gatewayCpuMsPerCall\":$(awk -v d=$((after - before)) -v n=$((c * (calls + 50))) 'BEGIN { printf "%.4f", d / n }')}"
}
mkdir -p "$OUT/tools"
javac -d "$OUT/tools" bench/LoadTool.java
start_gw off "$OUT/off.json" 18080
PID_OFF=${GW##* }
start_gw on "$OUT/on.json" 18081
PID_ON=${GW##* }
sleep 20 # the 66 warm children finish starting before anything is measured
# a token from the environment, never argv (Keycloak's default life, 5 minutes, covers the run; it is cached after its first call)
export BENCH_TOKEN
BENCH_TOKEN=$(curl -s -d grant_type=client_credentials -d client_id=gateway-tests -d client_secret=test-only-secret-not-a-real-one \
  "$ISSUER/protocol/openid-connect/token" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
: >"$OUT/results.txt"
# both gateways get the same unrecorded warm-up, then the measured runs alternate off/on so that drift hits both
load warm-off 18080 8 2500 >/dev/null
load warm-on 18081 8 2500 --bearer-env BENCH_TOKEN >/dev/null
for rep in 1 2 3; do
  for c in 1 32; do
    calls=$(( c == 1 ? 3000 : 300 ))
    load "off-c$c-r$rep" 18080 "$c" "$calls" | tee -a "$OUT/results.txt" | cut -c1-260
    # the same header sent to the gateway that ignores it: what the bytes cost, apart from checking them
    load "offhdr-c$c-r$rep" 18080 "$c" "$calls" --bearer-env BENCH_TOKEN | tee -a "$OUT/results.txt" | cut -c1-260
    load "on-c$c-r$rep" 18081 "$c" "$calls" --bearer-env BENCH_TOKEN | tee -a "$OUT/results.txt" | cut -c1-260
  done
done
