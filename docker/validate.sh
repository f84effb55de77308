#!/usr/bin/env bash
# Validates docker/compose.yaml (alone and with the CPU-only override) and the Dockerfiles,
# without a Docker engine: `docker compose config -q` when the Compose v2 plugin works, else
# Debian's docker-compose 1.29.2 (`apt-get install -y docker-compose`), else it fails.
# Dockerfiles get a few built-in checks, plus hadolint / dockerfilelint / dockerfile_lint when
# one is already installed (nothing is downloaded here).
# Usage: docker/validate.sh [COMPOSE_FILE]   (default docker/compose.yaml)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

compose_file="${1:-docker/compose.yaml}"
cpu_override="docker/compose.cpu.yaml"
dockerfiles=(docker/annotation-app.Dockerfile docker/trainer.Dockerfile)
failures=0

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# --- compose --------------------------------------------------------------------------------
if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
elif command -v docker-compose >/dev/null 2>&1 && docker-compose version >/dev/null 2>&1; then
  compose=(docker-compose)
else
  echo "validate.sh: neither 'docker compose' (Compose v2 plugin) nor 'docker-compose' works;" >&2
  echo "install one, e.g. on Debian: apt-get install -y docker-compose" >&2
  exit 1
fi
echo "compose tool: ${compose[*]} ($("${compose[@]}" version 2>/dev/null | head -n 1))"

[ -f "$compose_file" ] || { echo "validate.sh: no such file: $compose_file" >&2; exit 1; }

# Validation must not depend on the caller's settings: use the file's own defaults.
unset_vars=(POSTGRES_DB POSTGRES_USER POSTGRES_PASSWORD RLHF_ADMIN_USERNAME RLHF_ADMIN_PASSWORD
            RLHF_TOPICS_REPLICATION_FACTOR RLHF_IMAGE_TAG APP_PORT APP_MEM_LIMIT KAFKA_HOST_PORT
            KAFKA_MEM_LIMIT KAFKA_HEAP_OPTS KAFKA_CLUSTER_ID TRAINER_MEM_LIMIT)
for v in "${unset_vars[@]}"; do unset "$v"; done

if "${compose[@]}" -f "$compose_file" config -q; then
  echo "ok: $compose_file"
else
  fail "$compose_file is not a valid compose file"
fi

if [ "$compose_file" = "docker/compose.yaml" ] && [ -f "$cpu_override" ]; then
  if "${compose[@]}" -f "$compose_file" -f "$cpu_override" config -q; then
    echo "ok: $compose_file + $cpu_override"
  else
    fail "$compose_file with $cpu_override is not a valid compose configuration"
  fi
fi

# --- Dockerfiles: built-in checks ------------------------------------------------------------
for f in "${dockerfiles[@]}"; do
  if [ ! -f "$f" ]; then fail "$f is missing"; continue; fi
  grep -qE '^FROM[[:space:]]' "$f" || fail "$f has no FROM"
  # Exec form, so SIGTERM reaches the JVM (graceful shutdown).
  grep -qE '^ENTRYPOINT[[:space:]]+\[' "$f" || fail "$f: ENTRYPOINT must use the exec (JSON) form"
  last_user="$(sed -nE 's/^USER[[:space:]]+([^[:space:]:]+).*/\1/p' "$f" | tail -n 1)"
  case "$last_user" in
    ''|root|0) fail "$f: the runtime stage must switch to a non-root USER" ;;
  esac
  grep -q -- '--enable-native-access=ALL-UNNAMED' "$f" || fail "$f: java lacks --enable-native-access=ALL-UNNAMED"
  grep -q -- '--sun-misc-unsafe-memory-access=allow' "$f" || fail "$f: java lacks --sun-misc-unsafe-memory-access=allow"
  # Every COPY/ADD source from the build context must exist (the context is the repo root).
  # (COPY lines without --from; every word but the last is a source.)
  while read -r src; do
    [ -e "$src" ] || fail "$f copies '$src', which does not exist in the build context"
  done < <(awk '($1 == "COPY" || $1 == "ADD") && $0 !~ /--from=/ && $2 !~ /^\[/ {
                  for (i = 2; i < NF; i++) if ($i !~ /^--/) print $i }' "$f")
done
grep -q '^HEALTHCHECK' docker/annotation-app.Dockerfile || fail "annotation-app.Dockerfile has no HEALTHCHECK"
grep -q -- '-Dai.djl.offline=true' docker/trainer.Dockerfile || fail "trainer.Dockerfile: java lacks -Dai.djl.offline=true"
if [ "$failures" -eq 0 ]; then echo "ok: Dockerfile checks (${dockerfiles[*]})"; fi

# --- Dockerfiles: optional linters, only when already installed ------------------------------
if command -v hadolint >/dev/null 2>&1; then
  # DL3008: apt packages unpinned (the JRE images track security updates on purpose).
  hadolint --ignore DL3008 "${dockerfiles[@]}" && echo "ok: hadolint" || fail "hadolint reported problems"
elif command -v dockerfilelint >/dev/null 2>&1; then
  for f in "${dockerfiles[@]}"; do dockerfilelint "$f" || fail "dockerfilelint: $f"; done
elif command -v dockerfile_lint >/dev/null 2>&1; then
  for f in "${dockerfiles[@]}"; do dockerfile_lint -f "$f" || fail "dockerfile_lint: $f"; done
else
  echo "skip: no Dockerfile linter installed (hadolint, dockerfilelint, dockerfile_lint)"
fi

if [ "$failures" -ne 0 ]; then
  echo "validate.sh: $failures check(s) failed" >&2
  exit 1
fi
echo "validate.sh: all checks passed"
