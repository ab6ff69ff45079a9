#!/usr/bin/env bash
# What authentication costs end to end, side by side: the WAR deployed twice in one JVM (dev.shadowcat.bench.AbServer),
# /off without auth and /on with auth (a Keycloak client-credentials token, an allow-all policy), both in front of
# EchoStdioServer (dedicated, metrics on as by default). Both deployments share the JVM, the Jetty threads and the
# JIT, so only the configuration differs; the same bearer header goes to both, so the bytes are not what is measured.
#   bench/auth-bench.sh        # about 10 minutes; needs a built WAR and Java 21+ for Keycloak (see README)
# Phases (each LoadTool run gets a fresh token, checked once in its warm-up and cached after):
#   C=1  interleaved (LoadTool --url-b): one worker alternates off/on calls, so both see the same moment; the
#        p50 of each and the median of the paired differences (on − off)
#   C=32 alternating runs: 32 workers on off then on, on then off, by turns, REPEATS times: calls/s, p50, the
#        JVM's CPU per call
#   new token: the first call with a token never seen (a signature check) against a call with a cached one,
#        each a new curl connection
# Writes target/auth-bench/results.txt (one JSON line per run) and prints a summary.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
OUT=target/auth-bench
REPEATS=${REPEATS:-6} # even: as many on-first pairs as off-first
PORT=${PORT:-18080}
mkdir -p "$OUT"
[[ -f target/shadowcat.war ]] || mvn -q -B -o package -DskipTests
if [[ ! -s target/launcher.cp || pom.xml -nt target/launcher.cp ]]; then
  mvn -q -B -o dependency:build-classpath -Dmdep.outputFile=target/launcher.cp -Dmdep.includeScope=test >/dev/null
fi
KC_PORT=${KC_PORT:-18180}
KC_PORT=$KC_PORT src/test/resources/keycloak/start.sh >"$OUT/keycloak.log" 2>&1 &
KC=$!
GW=
cleanup() {
  rm -f "$OUT/auth.hdr" # the header file of the new-token phase holds a token
  [ -n "$GW" ] && kill "$GW" 2>/dev/null; kill "$KC" 2>/dev/null; pkill -P "$KC" 2>/dev/null || true; wait 2>/dev/null || true
}
trap cleanup EXIT
ISSUER="http://127.0.0.1:$KC_PORT/realms/shadowcat"
for _ in $(seq 1 180); do curl -sf "$ISSUER/.well-known/openid-configuration" >/dev/null 2>&1 && break; sleep 1; done

upstream='"echo": { "command": ["${java}", "-cp", "'"$ROOT"'/target/test-classes", "dev.shadowcat.bench.EchoStdioServer"], "mode": "dedicated", "pool": { "maxSize": 40, "minIdle": 33 } }'
cat >"$OUT/off.json" <<JSON
{ "upstreams": { $upstream }, "pipeline": { "metrics": { "enabled": true } } }
JSON
cat >"$OUT/on.json" <<JSON
{ "upstreams": { $upstream }, "pipeline": { "metrics": { "enabled": true } },
  "auth": { "issuer": "$ISSUER", "resource": "https://shadowcat.test/mcp", "publicBaseUrl": "http://127.0.0.1:$PORT/on",
            "policy": [ { "roles": ["mcp-service"], "upstreams": ["*"] } ] } }
JSON
mkdir -p "$OUT/tools"
javac -d "$OUT/tools" bench/LoadTool.java
java -Djava.util.concurrent.ForkJoinPool.common.parallelism=2 -cp "target/test-classes:target/classes:$(cat target/launcher.cp)" \
  dev.shadowcat.bench.AbServer "$PORT" "$ROOT/target/shadowcat.war" "/off=$ROOT/$OUT/off.json" "/on=$ROOT/$OUT/on.json" \
  >"$OUT/gateway.log" 2>&1 &
GW=$!
OFF="http://127.0.0.1:$PORT/off/mcp/echo"
ON="http://127.0.0.1:$PORT/on/mcp/echo"
for _ in $(seq 1 60); do curl -s -o /dev/null "$ON" -X POST 2>/dev/null && break; sleep 0.5; done
sleep 20 # the 66 warm children finish starting before anything is measured

token() { # a fresh client-credentials token on stdout; it goes to LoadTool by environment, never argv
  curl -s -d grant_type=client_credentials -d client_id=gateway-tests -d client_secret=test-only-secret-not-a-real-one \
    "$ISSUER/protocol/openid-connect/token" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p'
}
export BENCH_TOKEN
load() { # label C calls url [more LoadTool options]
  local label=$1 c=$2 calls=$3 url=$4
  shift 4
  BENCH_TOKEN=$(token)
  java -cp "$OUT/tools" LoadTool --url "$url" --label "$label" --concurrency "$c" --calls "$calls" --warmup 50 \
    --bearer-env BENCH_TOKEN --gateway-pid "$GW" "$@" | head -1
}
num() { # a number field of each LoadTool JSON line, its first occurrence (B's come later, under "b")
  awk -v k="\"$1\":" '{ i = index($0, k); if (i) { s = substr($0, i + length(k)); match(s, /^[-0-9.]+/); print substr(s, 1, RLENGTH) } }'
}
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

: >"$OUT/results.txt"
# the JIT settles after some 50,000 calls per deployment: warm both the same way, unrecorded
for _ in 1 2 3; do load warm 8 3000 "$OFF" --url-b "$ON" >/dev/null; done
load warm 1 4000 "$OFF" --url-b "$ON" >/dev/null

for rep in $(seq 1 $((REPEATS + 3))); do
  line=$(load "ab-c1-r$rep" 1 4000 "$OFF" --url-b "$ON")
  echo "$line" >>"$OUT/results.txt"
  echo "C=1 interleaved r$rep: off p50 $(echo "$line" | num callP50Ms) ms, on p50 $(echo "$line" | sed 's/.*"b":{//' | num callP50Ms) ms, paired on-off $(echo "$line" | num pairedDeltaP50Us) us"
done
for rep in $(seq 1 "$REPEATS"); do
  order="off on"; [ $((rep % 2)) -eq 0 ] && order="on off" # off/on, then on/off: drift and order cancel out
  for side in $order; do
    url=$OFF; [ "$side" = on ] && url=$ON
    line=$(load "$side-c32-r$rep" 32 500 "$url")
    echo "$line" >>"$OUT/results.txt"
    echo "C=32 $side r$rep: $(echo "$line" | num callsPerSecond) calls/s, p50 $(echo "$line" | num callP50Ms) ms, JVM CPU $(echo "$line" | num serverSelfCpuMsPerOp) ms/call"
  done
done

# the first call with a new token (a signature check) against the same call with a token already cached
printf 'Authorization: Bearer %s\n' "$(token)" >"$OUT/auth.hdr" # headers from a file: no token on a command line
init='{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"auth-bench","version":"1"}}}'
sid=$(curl -s -D - -o /dev/null -H @"$OUT/auth.hdr" -H 'Content-Type: application/json' \
  -H 'Accept: application/json, text/event-stream' -d "$init" "$ON" | tr -d '\r' | sed -n 's/^[Mm]cp-[Ss]ession-[Ii]d: //p')
call='{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"message":"hi"}}}'
timed() { # one call with token $1 (through the header file); prints curl's total time in ms
  printf 'Authorization: Bearer %s\n' "$1" >"$OUT/auth.hdr"
  curl -s -o /dev/null -w '%{time_total}\n' -H @"$OUT/auth.hdr" -H 'Content-Type: application/json' \
    -H 'Accept: application/json, text/event-stream' -H "Mcp-Session-Id: $sid" -H 'MCP-Protocol-Version: 2025-11-25' \
    -d "$call" "$ON" | awk '{ printf "%.3f\n", $1 * 1000 }'
}
: >"$OUT/new-token.txt"
for _ in $(seq 1 30); do
  fresh=$(token)
  echo "new $(timed "$fresh") cached $(timed "$fresh")" >>"$OUT/new-token.txt"
done
rm -f "$OUT/auth.hdr"

echo "--- summary (medians)"
c1off=$(grep '"label":"ab-c1' "$OUT/results.txt" | num callP50Ms | median)
c1on=$(grep '"label":"ab-c1' "$OUT/results.txt" | sed 's/.*"b":{//' | num callP50Ms | median)
paired=$(grep '"label":"ab-c1' "$OUT/results.txt" | num pairedDeltaP50Us | median)
echo "C=1 p50: off $c1off ms, on $c1on ms; paired on-off $paired us"
for side in off on; do
  echo "C=32 $side: $(grep "\"label\":\"$side-c32" "$OUT/results.txt" | num callsPerSecond | median) calls/s," \
    "JVM CPU $(grep "\"label\":\"$side-c32" "$OUT/results.txt" | num serverSelfCpuMsPerOp | median) ms/call"
done
echo "first call with a new token: $(awk '{ print $2 }' "$OUT/new-token.txt" | median) ms; with it cached:" \
  "$(awk '{ print $4 }' "$OUT/new-token.txt" | median) ms (curl, a new connection each, 30 tokens)"
