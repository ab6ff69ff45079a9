#!/bin/sh
# Starts, by hand, the Keycloak the auth tests use: the same distribution (unpacked from ~/.m2 by the build)
# and the same realms (shadowcat-realm.json, other-realm.json), on http://127.0.0.1:${KC_PORT:-8180}.
#   src/test/resources/keycloak/start.sh            # Ctrl-C stops it
# Users: alice / alice-password (mcp-user), bob / bob-password (mcp-user, shadowcat-admin). Confidential client
# gateway-tests (test-only secret in the realm file) for client credentials and direct grants. Needs Java 21+:
# KEYCLOAK_JAVA_HOME, else the newest JDK 21+ under /usr/lib/jvm.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../../.." && pwd)
V=${KEYCLOAK_VERSION:-26.5.6}
KC="$ROOT/target/keycloak-$V"
if [ ! -f "$KC/bin/kc.sh" ]; then
  mvn -q -B -f "$ROOT/pom.xml" dependency:unpack@unpack-distributions
fi
if [ -z "${KEYCLOAK_JAVA_HOME:-}" ]; then
  best=0
  for d in /usr/lib/jvm/*; do
    v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$d/release" 2>/dev/null || true)
    if [ -n "$v" ] && [ "$v" -ge 21 ] && [ "$v" -gt "$best" ]; then best=$v; KEYCLOAK_JAVA_HOME=$d; fi
  done
fi
if [ -z "${KEYCLOAK_JAVA_HOME:-}" ]; then
  echo "start.sh: Keycloak needs Java 21+; set KEYCLOAK_JAVA_HOME" >&2
  exit 1
fi
mkdir -p "$KC/data/import"
cp "$HERE/shadowcat-realm.json" "$HERE/other-realm.json" "$KC/data/import/"
JAVA_HOME=$KEYCLOAK_JAVA_HOME exec sh "$KC/bin/kc.sh" start-dev --http-host=127.0.0.1 --http-port="${KC_PORT:-8180}" \
  --import-realm --cache=local
