# Sourced by the launcher and the test script: exports JAVA_HOME pointing at a JDK 25.
# Looks at $BALEINE_JAVA_HOME, $JAVA_HOME, the java on PATH, then the usual install folders.
# A JDK's release file names its version: reading it costs nothing, where `java -version` starts a JVM (~0.15 s
# for each candidate, on every launch); the JDKs that lack the file are asked.
is_jdk25() {
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 1
  if [ -f "$1/release" ]; then
    grep -q '^JAVA_VERSION="25[."]' "$1/release"
  else
    "$1/bin/java" -version 2>&1 | head -n 1 | grep -q 'version "25'
  fi
}
find_jdk25() {
  local c
  for c in "${BALEINE_JAVA_HOME:-}" "${JAVA_HOME:-}" \
           "$(dirname "$(dirname "$(readlink -f "$(command -v java 2>/dev/null || echo /nonexistent)")")")" \
           /usr/lib/jvm/temurin-25* /usr/lib/jvm/*-25* /usr/lib/jvm/jdk-25* /opt/java/openjdk \
           /Library/Java/JavaVirtualMachines/*25*/Contents/Home "$HOME"/.sdkman/candidates/java/25*; do
    if [ -n "$c" ] && is_jdk25 "$c"; then
      echo "$c"
      return 0
    fi
  done
  return 1
}
if ! JAVA_HOME="$(find_jdk25)"; then
  echo "error: Baleine needs JDK 25 (Vector API, FFM). Install one (e.g. Temurin 25) and set BALEINE_JAVA_HOME to it." >&2
  exit 2
fi
export JAVA_HOME
# Maven itself still touches sun.misc.Unsafe: keep JDK 25 from warning about it on every build
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
