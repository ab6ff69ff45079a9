#!/usr/bin/env bash
# End-to-end MCP benchmarks on this machine, in one go (see docs/benchmarks.md).
#
#   bench/run-all.sh              # full: C = 1 8 32, 3 runs each (about 25 minutes on 2 cores)
#   SMOKE=1 bench/run-all.sh      # tiny sizes, one run, C = 2, one gateway (under a minute once built; for CI)
#
# Targets, each started on its own 127.0.0.1 port, measured with bench/LoadTool.java (same tools/call echo
# payload everywhere), then stopped:
#   everything-http          server-everything's own Streamable HTTP endpoint
#   supergateway             supergateway 4.0.0 --stateful, stdio server-everything -> Streamable HTTP
#   gw-everything-dedicated  Shadowcat -> server-everything over stdio, dedicated mode (one child per session)
#   gw-everything-shared2    Shadowcat -> server-everything over stdio, shared mode, pool maxSize 2
#   gw-everything-http       Shadowcat -> server-everything's Streamable HTTP endpoint (an HTTP upstream)
#   jetty-echo-floor         bare Jetty 12 core handler answering a fixed JSON-RPC result (the floor)
#   gw-echo-shared           Shadowcat -> EchoStdioServer (the floor's stdio twin), shared mode: the gateway alone
#   gw-echo-pipeline         the same with the pipeline's built-in stages on (metrics, audit to a file, a filter);
#                            every other gateway target runs with an empty chain (pipeline.metrics.enabled false)
#   gw-demo-shared           Shadowcat -> the demo stdio server in the WAR, shared mode (also an SSE run)
#   gw-everything-warm-init  initialize latency against a warm dedicated pool (sessions mode)
#   gw-demo-shared-idle      heap per idle session: N sessions held open, heap measured after forced GCs
#
# Environment: SMOKE=1, REPEATS (3), CONCURRENCY ("1 8 32"), BASE_PORT (18100), RESULTS_DIR,
# SERVER_WARMUP (20000 unrecorded calls at C=8 against each target before its measured runs; 0 with SMOKE=1),
# PROFILE=1 (JFR profile of the gateway during a C=32 run of gw-echo-shared and gw-everything-dedicated, C=8 of gw-everything-http),
# SKIP_BUILD=1, FORCE_BUILD=1, IDLE_SESSIONS (10000), ONLY="label ..." (run only these targets).
# Results: bench/results/<timestamp>/{results.jsonl,summary.md,calls-per-second.png,machine.txt,logs/,configs/}
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

SMOKE="${SMOKE:-0}"
if [[ "$SMOKE" == 1 ]]; then
  REPEATS="${REPEATS:-1}"
  CONCURRENCY="${CONCURRENCY:-2}"
  SERVER_WARMUP="${SERVER_WARMUP:-0}"
  IDLE_SESSIONS="${IDLE_SESSIONS:-200}"
  WARM_MIN_IDLE=2; INIT_SEQ=2; INIT_BURST=2
  CAP=20; STOP_GRACE=3
  CLIENT_OPTS=(-XX:TieredStopAtLevel=1 -XX:+UseSerialGC) # start fast; sizes are too small to measure anyway
else
  REPEATS="${REPEATS:-3}"
  CONCURRENCY="${CONCURRENCY:-1 8 32}"
  SERVER_WARMUP="${SERVER_WARMUP:-20000}"
  IDLE_SESSIONS="${IDLE_SESSIONS:-10000}"
  WARM_MIN_IDLE=34; INIT_SEQ=20; INIT_BURST=32
  CAP=90; STOP_GRACE=10
  CLIENT_OPTS=()
fi
PROFILE="${PROFILE:-0}"
BASE_PORT="${BASE_PORT:-18100}"
ONLY="${ONLY:-}"
TS="$(date +%Y%m%d-%H%M%S)"
R="${RESULTS_DIR:-$ROOT/bench/results/$TS}"
mkdir -p "$R/logs" "$R/configs"
R="$(cd "$R" && pwd)"
NODE_DIR="$ROOT/src/test/node"
EVERYTHING="$NODE_DIR/node_modules/@modelcontextprotocol/server-everything/dist/index.js"
LOOPBACK="$NODE_DIR/loopback-only.cjs"
SUPERGATEWAY="$ROOT/bench/node_modules/supergateway/dist/index.js"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"

log() { printf '[run-all %s] %s\n' "$(date +%H:%M:%S)" "$*" | tee -a "$R/run.log" >&2; }

# calls per worker and unmeasured warm-up calls per worker, by concurrency
sizes() {
  local c=$1
  if [[ "$SMOKE" == 1 ]]; then echo "20 5"; return; fi
  case "$c" in
    # long enough for the load generator's and the server's JIT to settle (about 10-15 s per run here)
    1) echo "5000 3000" ;;
    8) echo "800 500" ;;
    32) echo "250 150" ;;
    *) echo "$((8000 / c + 1)) $((4000 / c + 1))" ;;
  esac
}

wanted() { [[ -z "$ONLY" || " $ONLY " == *" $1 "* ]]; }

# ---------------------------------------------------------------- processes we start, and their cleanup

STARTED=()

tree() { # a pid and all its descendants
  local p=$1 c
  echo "$p"
  for c in $(ps -o pid= --ppid "$p" 2>/dev/null); do tree "$c"; done
}

stop_pid() { # TERM the process (it stops its own children), then KILL whatever of its tree is left
  local pid=$1 all t
  kill -0 "$pid" 2>/dev/null || return 0
  all="$(tree "$pid" | tr '\n' ' ')"
  kill -TERM "$pid" 2>/dev/null || true
  for t in $(seq 1 $((STOP_GRACE * 10))); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  sleep 0.3
  for t in $all; do kill -KILL "$t" 2>/dev/null || true; done
}

cleanup() {
  local p
  for p in "${STARTED[@]:-}"; do
    [[ -n "$p" ]] && stop_pid "$p"
  done
  STARTED=()
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

forget() { # drop a stopped pid from STARTED
  local keep=() p
  for p in "${STARTED[@]:-}"; do [[ "$p" != "$1" && -n "$p" ]] && keep+=("$p"); done
  STARTED=("${keep[@]:-}")
}

port_free() { ! ss -Htln "sport = :$1" | grep -q .; }

# waits until something listens on 127.0.0.1:PORT, then checks that nothing listens there beyond loopback
wait_listen() {
  local port=$1 pid=$2 name=$3 t
  for t in $(seq 1 300); do
    if ss -Htln "sport = :$port" | grep -q .; then break; fi
    if ! kill -0 "$pid" 2>/dev/null; then log "$name exited before listening (see logs/$name.log)"; return 1; fi
    sleep 0.1
  done
  local addrs
  addrs="$(ss -Htln "sport = :$port" | awk '{print $4}')"
  if [[ -z "$addrs" ]]; then log "$name: nothing listens on port $port after 30 s"; return 1; fi
  if grep -Eqv '^(127\.0\.0\.1|\[::ffff:127\.0\.0\.1\]|\[::1\]):' <<<"$addrs"; then
    log "$name listens beyond loopback ($addrs): stopping it"
    return 1
  fi
  echo "$addrs" > "$R/logs/$name.listen"
}

# upstream stats from the gateway's operations API: prints "idle busy starting terminating" of one upstream
pool_state() {
  curl -s --max-time 2 "http://127.0.0.1:$1/api/upstreams" | tr '{' '\n' | grep "\"name\":\"$2\"" \
    | sed -E 's/.*"idle":([0-9]+).*"busy":([0-9]+).*"starting":([0-9]+).*"terminating":([0-9]+).*/\1 \2 \3 \4/'
}

# waits (bounded) until an upstream has >= MIN idle children and nothing busy, starting or terminating
wait_pool() {
  local port=$1 name=$2 min=$3 secs=${4:-120} t s
  for t in $(seq 1 $((secs * 4))); do
    s="$(pool_state "$port" "$name" || true)"
    if [[ -n "$s" ]]; then
      read -r idle busy starting terminating <<<"$s"
      if (( idle >= min && busy == 0 && starting == 0 && terminating == 0 )); then return 0; fi
    fi
    sleep 0.25
  done
  log "pool $name on :$port not settled after ${secs}s (state: ${s:-unknown})"
}

start_gateway() { # name port config -> sets GW_PID
  local name=$1 port=$2 cfg=$3
  port_free "$port" || { log "port $port is in use"; return 1; }
  "$JAVA" ${GW_JAVA_OPTS:-} -cp "target/test-classes:target/classes:$(cat target/launcher.cp)" -Dshadowcat.port="$port" -Dshadowcat.host=127.0.0.1 \
    -Dshadowcat.config="$cfg" -Dshadowcat.war="$ROOT/target/shadowcat.war" \
    dev.shadowcat.launcher.Main >"$R/logs/$name.log" 2>&1 &
  GW_PID=$!
  STARTED+=("$GW_PID")
  wait_listen "$port" "$GW_PID" "$name"
  for _ in $(seq 1 100); do
    curl -sf --max-time 2 "http://127.0.0.1:$port/api/health" >/dev/null && return 0
    sleep 0.2
  done
  log "$name: /api/health did not answer"; return 1
}

stop() { stop_pid "$1"; forget "$1"; }

# waits (bounded) until a process's descendants use less than 5% of one core (children done booting)
wait_children_idle() {
  local pid=$1 secs=${2:-60} t a b
  ticks() { local p s=0 f; for p in $(tree "$pid" | tail -n +2); do
      f=$(cut -d')' -f2- "/proc/$p/stat" 2>/dev/null) || continue
      set -- $f; s=$((s + ${12} + ${13})); done; echo $s; }
  a=$(ticks)
  for t in $(seq 1 "$secs"); do
    sleep 1
    b=$(ticks)
    (( b - a < 5 )) && return 0
    a=$b
  done
  log "children of $pid still busy after ${secs}s"
}

# LoadTool run: label mode C [extra LoadTool args...]
load() {
  local label=$1 mode=$2 c=$3; shift 3
  local sz calls warm
  sz="$(sizes "$c")"; calls=${sz% *}; warm=${sz#* }
  echo "$(date +%T) $label $mode C=$c $(cut -d' ' -f1-3 /proc/loadavg)" >> "$R/uptime.log"
  "$JAVA" "${CLIENT_OPTS[@]}" -cp "$TOOLS" LoadTool --label "$label" --mode "$mode" --concurrency "$c" --calls "$calls" --warmup "$warm" \
    --duration-cap-seconds "$CAP" --json-out "$R/results.jsonl" "$@" >"$R/logs/load-$label-$mode-c$c-$(date +%H%M%S).txt" 2>&1 \
    || log "LoadTool failed for $label C=$c"
  { tail -n +2 "$(ls -t "$R"/logs/load-"$label"-"$mode"-c"$c"-*.txt | head -1)" \
      | grep -E "callsPerSecond|callP50Ms|callP99Ms|errors " | tr -s ' ' | tr '\n' ' ' \
      | sed "s/^/  $label $mode C=$c:/"; echo; } >&2 || true
}

# the same series for one target: for each C, REPEATS runs
series() { # label port-or-url mode [pid] [settle-cmd...]
  local label=$1 url=$2 mode=$3 pid=${4:-} c rep
  shift 4 || shift $#
  if (( SERVER_WARMUP > 0 )); then
    # unrecorded: a server that has just started is still compiling (a fresh gateway JVM's own CPU per call falls
    # from ~1.1 to ~0.3 ms over its first 20,000 calls); every target gets the same calls before it is measured
    if [[ $# -gt 0 ]]; then "$@"; fi
    echo "$(date +%T) $label warm-up $SERVER_WARMUP calls $(cut -d' ' -f1-3 /proc/loadavg)" >> "$R/uptime.log"
    "$JAVA" "${CLIENT_OPTS[@]}" -cp "$TOOLS" LoadTool --label "$label-warmup" --mode "$mode" --concurrency 8 \
      --calls $((SERVER_WARMUP / 8)) --warmup 0 --duration-cap-seconds 90 --url "$url" \
      >"$R/logs/warmup-$label.txt" 2>&1 || log "warm-up of $label failed"
  fi
  for c in $CONCURRENCY; do
    for rep in $(seq 1 "$REPEATS"); do
      if [[ $# -gt 0 ]]; then "$@"; fi
      load "$label" "$mode" "$c" --url "$url" ${pid:+--gateway-pid "$pid"}
      [[ "$SMOKE" == 1 ]] || sleep 1
    done
  done
}

jfr_profile() { # name pid url mode C
  local name=$1 pid=$2 url=$3 mode=$4 c=$5 f="$R/profile-$1.jfr"
  log "JFR profile of $name (C=$c, $mode)"
  jcmd "$pid" JFR.start name=bench settings=profile duration=30s filename="$f" >"$R/logs/jfr-$name.txt" 2>&1 || return 0
  "$JAVA" "${CLIENT_OPTS[@]}" -cp "$TOOLS" LoadTool --label "$name-profiled" --mode "$mode" --concurrency "$c" --calls 100000 --warmup 50 \
    --duration-cap-seconds 25 --url "$url" --gateway-pid "$pid" >"$R/logs/load-$name-profiled.txt" 2>&1 || true
  for _ in $(seq 1 100); do [[ -s "$f" ]] && break; sleep 0.5; done
  sleep 2
  jcmd "$pid" JFR.stop name=bench >>"$R/logs/jfr-$name.txt" 2>&1 || true
  if [[ -s "$f" ]]; then
    "$JAVA" -cp "$TOOLS" JfrTop "$f" 25 > "$R/profile-$name.txt" 2>&1 || true
    jfr summary "$f" > "$R/profile-$name-summary.txt" 2>&1 || true
  fi
}

# ---------------------------------------------------------------- build

log "results -> $R (SMOKE=$SMOKE REPEATS=$REPEATS C='$CONCURRENCY')"
needs_build() {
  [[ "${FORCE_BUILD:-0}" == 1 ]] && return 0
  [[ -f target/shadowcat.war && -f target/test-classes/dev/shadowcat/bench/JettyEchoFloor.class \
     && -f target/test-classes/dev/shadowcat/launcher/Main.class ]] || return 0
  [[ -n "$(find pom.xml webapp src/main src/test/java src/test/resources -newer target/shadowcat.war -type f 2>/dev/null | head -1)" ]]
}
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  if needs_build; then
    log "building (mvn -o package -DskipTests)"
    mvn -q -B -o package -DskipTests >"$R/logs/build.log" 2>&1 || { log "build failed: $R/logs/build.log"; exit 1; }
  fi
  if [[ ! -s target/launcher.cp || pom.xml -nt target/launcher.cp ]]; then
    mvn -q -B -o dependency:build-classpath -Dmdep.outputFile=target/launcher.cp -Dmdep.includeScope=test \
      >"$R/logs/classpath.log" 2>&1
  fi
  if [[ ! -f "$EVERYTHING" ]]; then
    log "installing the pinned Node test tools (src/test/node)"
    (cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error) >"$R/logs/npm-node.log" 2>&1
  fi
  if [[ ! -f "$SUPERGATEWAY" ]]; then
    log "installing supergateway 4.0.0 into bench/node_modules"
    (cd "$ROOT/bench" && npm ci --no-audit --no-fund --loglevel=error) >"$R/logs/npm-bench.log" 2>&1
  fi
fi
TOOLS="$ROOT/target/bench-tools"
if [[ ! -f "$TOOLS/LoadTool.class" || -n "$(find bench -maxdepth 1 -name '*.java' -newer "$TOOLS/LoadTool.class")" ]]; then
  mkdir -p "$TOOLS"
  javac -d "$TOOLS" bench/LoadTool.java bench/Plot.java bench/JfrTop.java 2>"$R/logs/javac.log"
fi

{
  echo "date: $(date -Is)"
  if git rev-parse HEAD >/dev/null 2>&1; then
    echo "commit: $(git rev-parse HEAD)$(git diff --quiet HEAD -- src pom.xml || echo ' (+ uncommitted changes in src/ or pom.xml)')"
  else
    echo "commit: $(cat .bench-commit 2>/dev/null || echo unknown) (snapshot, not a git work tree)"
  fi
  echo "nproc: $(nproc)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  echo "memory: $(free -m | awk '/^Mem:/{print $2 " MiB"}')"
  echo "kernel: $(uname -r)"
  echo "java: $("$JAVA" -version 2>&1 | head -2 | tr '\n' ' ')"
  echo "node: $(node --version)"
  [[ "$SMOKE" == 1 ]] || echo "maven: $(mvn -v 2>/dev/null | head -1 | sed 's/\x1b\[[0-9;]*m//g')"
  echo "server-everything: $(node -p "require('$NODE_DIR/node_modules/@modelcontextprotocol/server-everything/package.json').version")"
  echo "supergateway: $(node -p "require('$ROOT/bench/node_modules/supergateway/package.json').version" 2>/dev/null || echo missing)"
  echo "uptime at start: $(uptime)"
  echo "SMOKE=$SMOKE REPEATS=$REPEATS CONCURRENCY='$CONCURRENCY' IDLE_SESSIONS=$IDLE_SESSIONS"
} > "$R/machine.txt"

# ---------------------------------------------------------------- configs

# one upstream entry: name mode maxSize minIdle demo|everything
upstream_json() {
  local name=$1 mode=$2 max=$3 min=$4 server=$5
  if [[ "$server" == demo ]]; then
    printf '    "%s": { "command": ["${java}", "-XX:TieredStopAtLevel=1", "-cp", "${webapp.classpath}", "dev.shadowcat.demo.DemoMcpServer"],\n' "$name"
  elif [[ "$server" == echo ]]; then
    printf '    "%s": { "command": ["${java}", "-cp", "%s/target/test-classes", "dev.shadowcat.bench.EchoStdioServer"],\n' "$name" "$ROOT"
  else
    printf '    "%s": { "command": ["node", "%s", "stdio"], "cwd": "%s",\n' "$name" "$EVERYTHING" "$NODE_DIR"
  fi
  printf '      "mode": "%s", "pool": { "maxSize": %s, "minIdle": %s } }' "$mode" "$max" "$min"
}
# the pipeline section of every gateway target: an empty chain, except where a target sets GW_PIPELINE
EMPTY_CHAIN='{ "metrics": { "enabled": false } }'
# metrics + audit (to a file, no arguments) + a filter that checks every call against a glob that matches none
FULL_CHAIN="{ \"audit\": { \"file\": \"$R/logs/audit.log\" }, \"filters\": { \"echo\": { \"tools\": { \"deny\": [\"never-*\"] } } } }"
# gw_config FILE "name mode max min server" ...   (GW_PIPELINE: the pipeline section, EMPTY_CHAIN by default)
gw_config() {
  local file=$1 first=1 spec; shift
  {
    printf '{\n  "$comment": "bench/run-all.sh",\n  "server": { "maxSessions": %s },\n  "pipeline": %s,\n  "upstreams": {\n' \
      $((IDLE_SESSIONS + 1000)) "${GW_PIPELINE:-$EMPTY_CHAIN}"
    for spec in "$@"; do
      [[ $first == 1 ]] || printf ',\n'
      first=0
      # shellcheck disable=SC2086
      upstream_json $spec
    done
    printf '\n  }\n}\n'
  } > "$file"
}
UP_DEDICATED="everything-dedicated dedicated 64 1 everything"
UP_SHARED2="everything-shared2 shared 2 2 everything"
UP_DEMO="demo shared 2 2 demo"
UP_ECHO="echo shared 2 2 echo"
# maxSize = minIdle: sessions held open during the measurement cannot make the pool spawn replacements
UP_WARM="everything-warm dedicated $WARM_MIN_IDLE $WARM_MIN_IDLE everything"
gw_config "$R/configs/gw-everything-dedicated.json" "$UP_DEDICATED"
gw_config "$R/configs/gw-everything-shared2.json" "$UP_SHARED2"
gw_config "$R/configs/gw-echo-demo.json" "$UP_ECHO" "$UP_DEMO"
GW_PIPELINE="$FULL_CHAIN" gw_config "$R/configs/gw-echo-pipeline.json" "$UP_ECHO"
gw_config "$R/configs/gw-everything-warm-init.json" "$UP_WARM"
gw_config "$R/configs/gw-all.json" "$UP_DEDICATED" "$UP_SHARED2" "$UP_ECHO" "$UP_DEMO" "$UP_WARM"

# A gateway for one target: its own process on its own port (full runs), or, with SMOKE=1, one shared
# gateway with every upstream (saves three JVM starts). Sets GW_PID and P.
COMBINED_PID=""
gateway() { # name port config
  if [[ "$SMOKE" == 1 ]]; then
    P=$((BASE_PORT + 8))
    if [[ -z "$COMBINED_PID" ]]; then
      log "smoke: one gateway with every upstream on :$P"
      start_gateway gw-all "$P" "$R/configs/gw-all.json"
      COMBINED_PID=$GW_PID
    fi
    GW_PID=$COMBINED_PID
  else
    P=$2
    start_gateway "$1" "$P" "$3"
  fi
}
gateway_done() { [[ "$SMOKE" == 1 ]] || stop "$GW_PID"; }

# ---------------------------------------------------------------- (a) server-everything, Streamable HTTP

if wanted everything-http; then
  P=$((BASE_PORT + 1))
  log "(a) server-everything streamableHttp on :$P"
  port_free "$P" || { log "port $P in use"; exit 1; }
  (cd "$NODE_DIR" && PORT=$P exec node -r "$LOOPBACK" "$EVERYTHING" streamableHttp) >"$R/logs/everything-http.log" 2>&1 &
  PID=$!; STARTED+=("$PID")
  if wait_listen "$P" "$PID" everything-http; then
    series everything-http "http://127.0.0.1:$P/mcp" calls "$PID"
  fi
  stop "$PID"
fi

# ---------------------------------------------------------------- (c') gateway -> server-everything, Streamable HTTP

if wanted gw-everything-http; then
  UP_PORT=$((BASE_PORT + 9))
  log "(c') gateway -> server-everything (Streamable HTTP upstream on :$UP_PORT)"
  port_free "$UP_PORT" || { log "port $UP_PORT in use"; exit 1; }
  (cd "$NODE_DIR" && PORT=$UP_PORT exec node -r "$LOOPBACK" "$EVERYTHING" streamableHttp) >"$R/logs/everything-http-upstream.log" 2>&1 &
  UP_PID=$!; STARTED+=("$UP_PID")
  if wait_listen "$UP_PORT" "$UP_PID" everything-http-upstream; then
    printf '{\n  "$comment": "bench/run-all.sh",\n  "pipeline": %s,\n  "upstreams": {\n    "everything-http": { "url": "http://127.0.0.1:%s/mcp", "transport": "streamable-http" }\n  }\n}\n' \
      "$EMPTY_CHAIN" "$UP_PORT" > "$R/configs/gw-everything-http.json"
    P=$((BASE_PORT + 10)); start_gateway gw-everything-http "$P" "$R/configs/gw-everything-http.json"
    series gw-everything-http "http://127.0.0.1:$P/mcp/everything-http" calls "$GW_PID"
    if [[ "$PROFILE" == 1 ]]; then
      jfr_profile gw-everything-http "$GW_PID" "http://127.0.0.1:$P/mcp/everything-http" calls 8
    fi
    stop "$GW_PID"
  fi
  stop "$UP_PID"
fi

# ---------------------------------------------------------------- (d) supergateway --stateful

if wanted supergateway; then
  P=$((BASE_PORT + 4))
  log "(d) supergateway 4.0.0 --stateful on :$P"
  port_free "$P" || { log "port $P in use"; exit 1; }
  # supergateway has no host option (app.listen(port)): the -r preload forces 127.0.0.1, checked by wait_listen
  (cd "$NODE_DIR" && exec node -r "$LOOPBACK" "$SUPERGATEWAY" --stateful --stdio "node $EVERYTHING stdio" \
      --outputTransport streamableHttp --port "$P" --logLevel none) >"$R/logs/supergateway.log" 2>&1 &
  PID=$!; STARTED+=("$PID")
  if wait_listen "$P" "$PID" supergateway; then
    series supergateway "http://127.0.0.1:$P/mcp" calls "$PID"
  fi
  stop "$PID"
fi

# ---------------------------------------------------------------- (b) gateway -> server-everything stdio, dedicated

if wanted gw-everything-dedicated; then
  log "(b) gateway -> server-everything (stdio, dedicated)"
  gateway gw-everything-dedicated $((BASE_PORT + 2)) "$R/configs/gw-everything-dedicated.json"
  wait_pool "$P" everything-dedicated 1
  series gw-everything-dedicated "http://127.0.0.1:$P/mcp/everything-dedicated" calls "$GW_PID" \
    wait_pool "$P" everything-dedicated 1 60
  if [[ "$PROFILE" == 1 ]]; then
    wait_pool "$P" everything-dedicated 1 60
    jfr_profile gw-everything-dedicated "$GW_PID" "http://127.0.0.1:$P/mcp/everything-dedicated" calls 32
  fi
  gateway_done
fi

# ---------------------------------------------------------------- (c) gateway -> server-everything stdio, shared (pool 2)

if wanted gw-everything-shared2; then
  log "(c) gateway -> server-everything (stdio, shared, pool maxSize 2)"
  gateway gw-everything-shared2 $((BASE_PORT + 3)) "$R/configs/gw-everything-shared2.json"
  wait_pool "$P" everything-shared2 2
  series gw-everything-shared2 "http://127.0.0.1:$P/mcp/everything-shared2" calls "$GW_PID" \
    wait_pool "$P" everything-shared2 2 60
  # initialize in shared mode: answered from the gateway's cached handshake, no child involved
  for rep in $(seq 1 "$REPEATS"); do
    for spec in "1 $INIT_SEQ" "$INIT_BURST 1"; do
      read -r c n <<<"$spec"
      "$JAVA" "${CLIENT_OPTS[@]}" -cp "$TOOLS" LoadTool --label gw-everything-shared2-init --mode sessions \
        --concurrency "$c" --calls "$n" --duration-cap-seconds 60 --url "http://127.0.0.1:$P/mcp/everything-shared2" \
        --json-out "$R/results.jsonl" >"$R/logs/load-shared2-init-c$c-$rep.txt" 2>&1 || log "shared init run failed"
    done
  done
  gateway_done
fi

# ---------------------------------------------------------------- (e) Jetty echo floor vs gateway -> echo (shared)

if wanted jetty-echo-floor; then
  P=$((BASE_PORT + 6))
  log "(e) Jetty echo floor on :$P"
  port_free "$P" || { log "port $P in use"; exit 1; }
  "$JAVA" -cp "target/test-classes:$(cat target/launcher.cp)" -Dshadowcat.port="$P" -Dshadowcat.host=127.0.0.1 \
    dev.shadowcat.bench.JettyEchoFloor >"$R/logs/jetty-echo-floor.log" 2>&1 &
  PID=$!; STARTED+=("$PID")
  if wait_listen "$P" "$PID" jetty-echo-floor; then
    series jetty-echo-floor "http://127.0.0.1:$P/mcp" calls "$PID"
  fi
  stop "$PID"
fi

if wanted gw-echo-shared || wanted gw-demo-shared || wanted gw-demo-shared-sse || wanted gw-demo-shared-idle; then
  # one gateway, two shared upstreams: EchoStdioServer (answers like the floor: the gateway alone) and the demo
  # server (a real Java MCP server); the echo runs first, so that it is as cold a JVM as the floor was
  log "(e) gateway -> echo and demo (stdio, shared, pool maxSize 2 each)"
  gateway gw-echo-demo $((BASE_PORT + 5)) "$R/configs/gw-echo-demo.json"
  wait_pool "$P" echo 2
  wait_pool "$P" demo 2
  URL="http://127.0.0.1:$P/mcp/demo"
  if wanted gw-echo-shared; then series gw-echo-shared "http://127.0.0.1:$P/mcp/echo" calls "$GW_PID"; fi
  if wanted gw-demo-shared; then series gw-demo-shared "$URL" calls "$GW_PID"; fi
  if wanted gw-demo-shared-sse; then series gw-demo-shared-sse "$URL" sse "$GW_PID"; fi
  if wanted gw-demo-shared-idle; then
    # idle sessions: shared mode spawns nothing per session, so this is the gateway's own per-session state
    for rep in $(seq 1 "$REPEATS"); do
      log "idle-session heap: $IDLE_SESSIONS sessions (run $rep)"
      echo "$(date +%T) idle $(cut -d' ' -f1-3 /proc/loadavg)" >> "$R/uptime.log"
      "$JAVA" "${CLIENT_OPTS[@]}" -cp "$TOOLS" LoadTool --label gw-demo-shared-idle --mode sessions --concurrency 8 \
        --calls $(( (IDLE_SESSIONS + 7) / 8 )) --duration-cap-seconds 180 --gateway-pid "$GW_PID" --url "$URL" \
        --json-out "$R/results.jsonl" >"$R/logs/load-gw-demo-shared-idle-$rep.txt" 2>&1 || log "idle run failed"
      { tail -n +2 "$R/logs/load-gw-demo-shared-idle-$rep.txt" | grep -E "sessionsOpened|heapBytesPerSession|notifyErrors" \
          | tr -s ' ' | tr '\n' ' '; echo; } >&2 || true
    done
  fi
  if [[ "$PROFILE" == 1 ]]; then
    jfr_profile gw-echo-shared "$GW_PID" "http://127.0.0.1:$P/mcp/echo" calls 32
  fi
  gateway_done
fi

if wanted gw-echo-pipeline; then
  # the gateway alone again, with metrics, audit and filtering in the chain: the stages' cost beside gw-echo-shared
  log "(e2) gateway -> echo (stdio, shared, pool maxSize 2) with metrics + audit + filter"
  # its own gateway even with SMOKE=1: the combined smoke gateway has an empty chain
  P=$((BASE_PORT + 11)); start_gateway gw-echo-pipeline "$P" "$R/configs/gw-echo-pipeline.json"
  wait_pool "$P" echo 2
  series gw-echo-pipeline "http://127.0.0.1:$P/mcp/echo" calls "$GW_PID"
  stop "$GW_PID"
fi

# ---------------------------------------------------------------- session initialize with a warm pool

if wanted gw-everything-warm-init; then
  log "initialize latency, warm dedicated pool (minIdle $WARM_MIN_IDLE)"
  gateway gw-everything-warm-init $((BASE_PORT + 7)) "$R/configs/gw-everything-warm-init.json"
  URL="http://127.0.0.1:$P/mcp/everything-warm"
  for rep in $(seq 1 "$REPEATS"); do
    for spec in "1 $INIT_SEQ" "$INIT_BURST 1"; do
      read -r c n <<<"$spec"
      wait_pool "$P" everything-warm "$WARM_MIN_IDLE" 180
      wait_children_idle "$GW_PID" 120 # "idle" in the pool means spawned: let every child finish booting
      echo "$(date +%T) warm-init C=$c $(cut -d' ' -f1-3 /proc/loadavg)" >> "$R/uptime.log"
      "$JAVA" "${CLIENT_OPTS[@]}" -cp "$TOOLS" LoadTool --label gw-everything-warm-init --mode sessions --concurrency "$c" --calls "$n" \
        --duration-cap-seconds 60 --url "$URL" --json-out "$R/results.jsonl" \
        >"$R/logs/load-warm-init-c$c-$rep.txt" 2>&1 || log "warm-init run failed"
      { tail -n +2 "$R/logs/load-warm-init-c$c-$rep.txt" | grep -E "initP50Ms|initP95Ms|errors " | tr -s ' ' | tr '\n' ' ' \
          | sed "s/^/  warm init C=$c:/"; echo; } >&2 || true
    done
  done
  gateway_done
fi
[[ -z "$COMBINED_PID" ]] || stop "$COMBINED_PID"

# ---------------------------------------------------------------- report

echo "uptime at end: $(uptime)" >> "$R/machine.txt"
if [[ -s "$R/results.jsonl" ]]; then
  "$JAVA" -Djava.awt.headless=true -cp "$TOOLS" Plot "$R" > /dev/null
  log "summary: $R/summary.md, plot: $R/calls-per-second.png"
  cat "$R/summary.md"
else
  log "no results"
  exit 1
fi
