#!/bin/sh
# Runs target/shadowcat.war on the standalone jetty-home distribution with this folder as jetty.base.
#   mvn -q package -DskipTests && jetty-config/run.sh [jetty.http.port=18080]
# Arguments go to Jetty's start.jar (e.g. jetty.http.port=...); JVM options and -D system properties
# go in JAVA_OPTS, e.g. JAVA_OPTS=-Dshadowcat.lifecycle.log=/tmp/life.log. Env: SHADOWCAT_WAR overrides the WAR.
# jetty-home 12.1.12: the Maven mirror does not serve the 12.1.14 tarball (embedded tests use 12.1.14).
# Stop with Ctrl-C or SIGTERM (graceful: the app's @PreDestroy runs).
set -eu

JETTY_HOME_VERSION=${JETTY_HOME_VERSION:-12.1.12}
BASE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$BASE")
TARGET="$ROOT/target"
JETTY_HOME="$TARGET/jetty-home-$JETTY_HOME_VERSION"

if [ ! -f "$JETTY_HOME/start.jar" ]; then
  mkdir -p "$TARGET"
  if [ ! -f "$TARGET/jetty-home-$JETTY_HOME_VERSION.tar.gz" ]; then
    # -f: use the project's pinned maven-dependency-plugin
    mvn -q -B -Dstyle.color=never -f "$ROOT/pom.xml" dependency:copy \
      -Dartifact="org.eclipse.jetty:jetty-home:$JETTY_HOME_VERSION:tar.gz" -DoutputDirectory="$TARGET"
  fi
  tar xzf "$TARGET/jetty-home-$JETTY_HOME_VERSION.tar.gz" -C "$TARGET"
  rm -f "$TARGET/jetty-home-$JETTY_HOME_VERSION.tar.gz"   # a copy stays in ~/.m2
fi

WAR=${SHADOWCAT_WAR:-$TARGET/shadowcat.war}
if [ ! -f "$WAR" ]; then
  echo "run.sh: $WAR not found; build it first: mvn -q package -DskipTests" >&2
  exit 1
fi

cd "$BASE"
# exec: SIGTERM reaches the JVM directly, so Jetty's shutdown hook stops the webapp gracefully.
# The common pool needs parallelism >= 2, or the JDK HttpClient starts a thread per upstream response on
# 2-core machines (see src/main/java/dev/shadowcat/boot/JvmDefaults.java).
exec java -Djava.util.concurrent.ForkJoinPool.common.parallelism="$(( $(nproc) > 2 ? $(nproc) : 2 ))" ${JAVA_OPTS:-} \
  -Dshadowcat.war="$WAR" -jar "$JETTY_HOME/start.jar" \
  jetty.home="$JETTY_HOME" jetty.base="$BASE" "$@"
