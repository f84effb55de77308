#!/usr/bin/env bash
# Builds everything and starts the pipeline on its zero-install default: the annotation app
# (UI + REST API, in-process Kafka broker on localhost:9092, embedded database under ./data)
# and the trainer service connected to that broker. Ctrl-C stops both cleanly.
#
#   ./start.sh [--no-build] [app options, e.g. --server.port=8081]
#
# Environment: see the README's configuration table (RLHF_DATA_DIR, KAFKA_BOOTSTRAP_SERVERS,
# SPRING_DATASOURCE_URL, RLHF_ADMIN_PASSWORD, ...).
set -euo pipefail
cd "$(dirname "$0")"
source bin/jdk.sh
rlhf_select_jdk

build=1
app_args=()
for arg in "$@"; do
  case "$arg" in
    --no-build) build=0 ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) app_args+=("$arg") ;;
  esac
done

port=8080
for arg in "${app_args[@]}"; do
  case "$arg" in --server.port=*) port="${arg#--server.port=}" ;; esac
done
data_dir="${RLHF_DATA_DIR:-./data}"
logs="$data_dir/logs"
mkdir -p "$logs"
kafka="${KAFKA_BOOTSTRAP_SERVERS:-localhost:${RLHF_KAFKA_PORT:-9092}}"
jvm_flags=(--enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow)

if [ "$build" = 1 ]; then
  echo "Building (first build downloads dependencies from Maven Central; later ones take about a minute)..."
  ./mvnw -q -B --no-transfer-progress -DskipTests package
fi

app_pid="" trainer_pid=""
stop() {
  trap - INT TERM
  echo
  echo "Stopping..."
  [ -n "$trainer_pid" ] && kill -TERM "$trainer_pid" 2>/dev/null || true
  [ -n "$trainer_pid" ] && wait "$trainer_pid" 2>/dev/null || true
  [ -n "$app_pid" ] && kill -TERM "$app_pid" 2>/dev/null || true
  [ -n "$app_pid" ] && wait "$app_pid" 2>/dev/null || true
  echo "Stopped. Data kept in $data_dir."
  exit 0
}
trap stop INT TERM

echo "Starting the annotation app (log: $logs/annotation-app.console.log)..."
java "${jvm_flags[@]}" -jar annotation-ui/target/annotation-ui.jar ${app_args[@]+"${app_args[@]}"} \
  >"$logs/annotation-app.console.log" 2>"$logs/annotation-app.err" &
app_pid=$!

for _ in $(seq 1 120); do
  if ! kill -0 "$app_pid" 2>/dev/null; then
    wait "$app_pid" || true
    app_pid=""
    grep '^ERROR: ' "$logs/annotation-app.err" >&2 || tail -n 20 "$logs/annotation-app.console.log" >&2
    exit 1
  fi
  curl -fsS "http://localhost:$port/actuator/health/readiness" >/dev/null 2>&1 && break
  sleep 0.5
done

java "${jvm_flags[@]}" -Dai.djl.offline=true -jar trainer/target/trainer.jar serve --bootstrap-servers "$kafka" \
  >"$logs/trainer.log" 2>&1 &
trainer_pid=$!

password_line=$(grep -o "Created admin account '[^']*' with generated password: [^ ]*" "$logs/annotation-app.console.log" || true)
if [ -n "$password_line" ]; then
  login="${password_line#Created admin account \'}"; login="${login%%\'*} / ${password_line##*: }  (generated now and shown once: note it)"
elif [ -n "${RLHF_ADMIN_PASSWORD:-}" ]; then
  login="${RLHF_ADMIN_USERNAME:-admin} / \$RLHF_ADMIN_PASSWORD"
else
  login="${RLHF_ADMIN_USERNAME:-admin} / the password printed on the first start"
fi
cat <<MSG

  RLHF pipeline is up.
    Open the UI:      http://localhost:$port/
    Admin login:      $login
    Health:           http://localhost:$port/actuator/health
    Kafka:            $kafka  (topics rlhf.*; any Kafka client can connect)
    Trainer service:  consuming rlhf.rankings.v1 (log: $logs/trainer.log)
    Data:             $data_dir
  Press Ctrl-C to stop.

MSG

# Keep running until Ctrl-C, or until one of the two exits on its own.
while kill -0 "$app_pid" 2>/dev/null && kill -0 "$trainer_pid" 2>/dev/null; do
  sleep 1
done
if ! kill -0 "$trainer_pid" 2>/dev/null; then
  echo "The trainer service exited; last lines of $logs/trainer.log:" >&2
  tail -n 5 "$logs/trainer.log" >&2
fi
stop
