#!/usr/bin/env bash
# JMH micro-benchmarks of the gateway's hot paths (src/test/java/dev/shadowcat/bench/*Benchmark.java).
#
#   bench/jmh.sh                                  # all benchmarks, 5+5 one-second iterations, one fork (about 2 minutes)
#   bench/jmh.sh ProtocolBenchmark -f 1 -wi 3 -i 5  # any org.openjdk.jmh.Main arguments
#   bench/jmh.sh -l                               # list the benchmarks
#
# Compiles the test sources (the JMH annotation processor writes META-INF/BenchmarkList into
# target/test-classes), writes the test classpath once, and runs JMH in a plain JVM so that its forks
# get the right classpath (under exec:java a fork would inherit Maven's own classpath).
# Extra JVM options for the forks: JMH_JVM_ARGS="-Xmx512m" bench/jmh.sh ...
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
MVN_OFFLINE="${MVN_OFFLINE:--o}"
mvn -q -B $MVN_OFFLINE test-compile
if [[ ! -s target/bench.cp || pom.xml -nt target/bench.cp ]]; then
  mvn -q -B $MVN_OFFLINE dependency:build-classpath -Dmdep.outputFile=target/bench.cp -Dmdep.includeScope=test
fi
CP="target/test-classes:target/classes:$(cat target/bench.cp)"
if [[ $# -eq 0 ]]; then
  set -- -f 1 -wi 5 -w 1 -i 5 -r 1 'dev.shadowcat.bench.*Benchmark'
fi
JVM_ARGS=()
if [[ -n "${JMH_JVM_ARGS:-}" ]]; then
  JVM_ARGS=(-jvmArgsAppend "$JMH_JVM_ARGS")
fi
exec java -cp "$CP" org.openjdk.jmh.Main "${JVM_ARGS[@]}" "$@"
