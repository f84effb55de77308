# Sourced by start.sh, test.sh and .ci/run: points JAVA_HOME at a JDK >= 25, or explains in one line.
# Order: $JAVA_HOME, the `java` on PATH, then the newest JDK under /usr/lib/jvm.
RLHF_MIN_JAVA=25

rlhf_java_major() { # prints the feature version of the java binary $1, or nothing
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n 1
}

rlhf_select_jdk() {
  local candidates=() c v found=""
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  if command -v java >/dev/null 2>&1; then
    candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
  fi
  for c in $(ls -d /usr/lib/jvm/*/ 2>/dev/null | sort -rV); do candidates+=("${c%/}"); done
  for c in "${candidates[@]}"; do
    [ -x "$c/bin/java" ] && [ -x "$c/bin/javac" ] || continue
    v=$(rlhf_java_major "$c/bin/java")
    [ -n "$v" ] || continue
    [ -z "$found" ] && found="$c (Java $v)"
    if [ "$v" -ge "$RLHF_MIN_JAVA" ]; then
      export JAVA_HOME="$c"
      export PATH="$JAVA_HOME/bin:$PATH"
      return 0
    fi
  done
  echo "ERROR: this project needs a JDK $RLHF_MIN_JAVA or newer; found ${found:-none}. Install Temurin $RLHF_MIN_JAVA (https://adoptium.net) or set JAVA_HOME to one." >&2
  return 1
}
