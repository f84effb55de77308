#!/usr/bin/env bash
# Builds everything and starts the pipeline on its zero-install default: the annotation app
# (UI + REST API, in-process Kafka broker on localhost:9092, embedded database under ./data), a demo
# project of story prompts, and the trainer service connected to that broker, which samples
# responses to the prompts, learns from the rankings and sends the new policy's samples back.
# Ctrl-C stops everything cleanly.
#
#   ./start.sh [--no-build] [--simulated-annotators N [--oracle-word WORD]] [app options, e.g. --server.port=8081]
#
# --simulated-annotators N also starts N simulated annotators (`trainer annotate`) that rank the
# demo project's tasks, preferring stories that mention WORD more often (default big), so a whole round of
# the loop happens without anyone at the UI.
# Environment: see the README's configuration table (RLHF_DATA_DIR, KAFKA_BOOTSTRAP_SERVERS,
# SPRING_DATASOURCE_URL, RLHF_ADMIN_PASSWORD, RLHF_MODEL, RLHF_TOKENIZER, ...).
set -euo pipefail
cd "$(dirname "$0")"
source bin/jdk.sh
rlhf_select_jdk

build=1
simulated_annotators=0
# "big": about a third of stories260K's 48-token continuations of the demo openings say it (19% "play",
# 6% "park"), so most rankings order something; a ranking where nothing mentions the word is one tie,
# no comparison (measured on 160 samples: 33 of 40 rankings order something, 109 comparisons).
oracle_word=big
app_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) build=0 ;;
    --simulated-annotators) simulated_annotators="${2:-}"; shift ;;
    --simulated-annotators=*) simulated_annotators="${1#*=}" ;;
    --oracle-word) oracle_word="${2:-}"; shift ;;
    --oracle-word=*) oracle_word="${1#*=}" ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    *) app_args+=("$1") ;;
  esac
  shift
done
if ! [[ "$simulated_annotators" =~ ^[0-9]+$ ]]; then
  echo "ERROR: --simulated-annotators needs a number of annotators, e.g. --simulated-annotators 2" >&2
  exit 2
fi
if [ -z "$oracle_word" ]; then
  echo "ERROR: --oracle-word needs a word, e.g. --oracle-word big" >&2
  exit 2
fi

port=8080
for arg in ${app_args[@]+"${app_args[@]}"}; do
  case "$arg" in --server.port=*) port="${arg#--server.port=}" ;; esac
done
app_url="http://localhost:$port"
data_dir="${RLHF_DATA_DIR:-./data}"
logs="$data_dir/logs"
kafka="${KAFKA_BOOTSTRAP_SERVERS:-localhost:${RLHF_KAFKA_PORT:-9092}}"
jvm_flags=(--enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow)
trainer=(java "${jvm_flags[@]}" -Dai.djl.offline=true -jar trainer/target/trainer.jar)

# The admin password. The demo set-up and the simulated annotators log in with it, so on a first
# start without RLHF_ADMIN_PASSWORD this script makes one (instead of the app) and keeps it in the
# data directory, readable only by you, for later starts.
export RLHF_ADMIN_USERNAME="${RLHF_ADMIN_USERNAME:-admin}"
password_file="$data_dir/admin-password"
password_source=env
if [ -z "${RLHF_ADMIN_PASSWORD:-}" ]; then
  if [ -f "$password_file" ]; then
    RLHF_ADMIN_PASSWORD="$(cat "$password_file")"
    password_source=file
  elif [ ! -e "$data_dir" ]; then
    mkdir -p "$data_dir"
    RLHF_ADMIN_PASSWORD="$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')"
    (umask 077 && printf '%s\n' "$RLHF_ADMIN_PASSWORD" >"$password_file")
    password_source=generated
  else
    password_source=app # a data directory from before this script kept the password: the app made it
  fi
fi
[ -n "${RLHF_ADMIN_PASSWORD:-}" ] && export RLHF_ADMIN_PASSWORD
mkdir -p "$logs"

# The policy the trainer starts from: stories260K from the shared data when it is there.
model="${RLHF_MODEL:-../shared/data/models/stories260K/stories260K.bin}"
if [ -n "${RLHF_TOKENIZER:-}" ]; then
  tokenizer="$RLHF_TOKENIZER"
elif [ -f "$model" ]; then
  tokenizer="$(dirname "$model")/tok512.bin" # llama2.c checkpoints need a tokenizer file; HF directories carry one
else
  tokenizer=""
fi
have_model=0
if [ -d "$model" ] || { [ -f "$model" ] && [ -f "$tokenizer" ]; }; then
  have_model=1
fi

if [ "$build" = 1 ]; then
  echo "Building (first build downloads dependencies from Maven Central; later ones take about a minute)..."
  ./mvnw -q -B --no-transfer-progress -DskipTests package
fi

app_pid="" trainer_pid="" annotators_pid=""
stop() {
  trap - INT TERM
  echo
  echo "Stopping..."
  [ -n "$annotators_pid" ] && kill -TERM "$annotators_pid" 2>/dev/null || true
  [ -n "$annotators_pid" ] && wait "$annotators_pid" 2>/dev/null || true
  [ -n "$trainer_pid" ] && kill -TERM "$trainer_pid" 2>/dev/null || true
  [ -n "$trainer_pid" ] && wait "$trainer_pid" 2>/dev/null || true
  [ -n "$app_pid" ] && kill -TERM "$app_pid" 2>/dev/null || true
  [ -n "$app_pid" ] && wait "$app_pid" 2>/dev/null || true
  echo "Stopped. Data kept in $data_dir."
  exit "${1:-0}"
}
trap stop INT TERM

echo "Starting the annotation app (log: $logs/annotation-app.console.log)..."
java "${jvm_flags[@]}" -jar annotation-ui/target/annotation-ui.jar ${app_args[@]+"${app_args[@]}"} \
  >"$logs/annotation-app.console.log" 2>"$logs/annotation-app.err" &
app_pid=$!

# Up to 5 minutes: on a busy 2-core machine the first start has taken 90 s.
ready=0
for _ in $(seq 1 600); do
  if ! kill -0 "$app_pid" 2>/dev/null; then
    wait "$app_pid" || true
    app_pid=""
    grep '^ERROR: ' "$logs/annotation-app.err" >&2 || tail -n 20 "$logs/annotation-app.console.log" >&2
    exit 1
  fi
  if curl -fsS "$app_url/actuator/health/readiness" >/dev/null 2>&1; then
    ready=1
    break
  fi
  sleep 0.5
done
if [ "$ready" = 0 ]; then
  echo "ERROR: the annotation app did not become ready at $app_url within 5 minutes; see $logs/annotation-app.console.log" >&2
  stop 1
fi

# The demo project: story openings for the trainer to continue. The import is idempotent, so
# later starts add nothing; each newly imported prompt asks the trainer (over Kafka) for samples.
demo="not set up"
demo_ok=0
if [ -z "${RLHF_ADMIN_PASSWORD:-}" ]; then
  demo="not set up: set RLHF_ADMIN_PASSWORD to the admin password so this script can log in"
elif demo_line=$("${trainer[@]}" ensure-project --url "$app_url" --name "Story demo" \
    --guidelines-file docs/demo/story-guidelines.md --responses-per-task 4 --annotators-per-task 1 \
    --import docs/demo/story-prompts.jsonl --format prompts 2>"$logs/demo-setup.log"); then
  demo_ok=1
  imported=$(printf '%s' "$demo_line" | sed -n 's/.*"imported":\([0-9]*\).*/\1/p')
  demo="\"Story demo\" ($(wc -l <docs/demo/story-prompts.jsonl | tr -d ' ') story openings, ${imported:-0} imported now; K = 4 samples each)"
else
  demo="not set up: $(tail -n 1 "$logs/demo-setup.log")"
fi

if [ "$have_model" = 1 ]; then
  serve=(serve --bootstrap-servers "$kafka" --model "$model" --state-dir "$data_dir/trainer")
  [ -n "$tokenizer" ] && serve+=(--tokenizer "$tokenizer")
  [ -n "${RLHF_ALGORITHM:-}" ] && serve+=(--algorithm "$RLHF_ALGORITHM")
  # A round every 60 new comparisons rather than serve's 200: the demo's 40 openings give 40 rankings
  # a round, and ties give no comparisons, so 200 would take several rounds of ranking to reach.
  serve+=(--train-every "${RLHF_TRAIN_EVERY:-60}")
  # Every policy version's health (KL to SFT, distinct-2, repeated words) is measured on story openings
  # the demo never trains on; a version that drifts too far or degenerates is not promoted.
  serve+=(--health-prompts docs/demo/health-prompts.jsonl)
  "${trainer[@]}" "${serve[@]}" >"$logs/trainer.log" 2>&1 &
  trainer_pid=$!
  trainer_line="started from $model (log: $logs/trainer.log)"
else
  trainer_line="NOT started: no model (see above)"
  cat >&2 <<MSG

No model found at $model${tokenizer:+ (tokenizer $tokenizer)},
so the trainer service is not started; the app runs, and imported prompts wait on Kafka until a trainer answers them.
Get the demo model: stories260K.bin and tok512.bin from the llama2.c project's karpathy/tinyllamas repository
on the Hugging Face hub, directory stories260K (https://huggingface.co/karpathy/tinyllamas/tree/main/stories260K),
then start with  RLHF_MODEL=/path/to/stories260K.bin ./start.sh  (tok512.bin next to it, or RLHF_TOKENIZER=/path/to/tok512.bin).
Any Hugging Face Llama directory (config.json + model.safetensors + tokenizer.json) works too: RLHF_MODEL=/path/to/dir.
MSG
fi

annotators_line="none (./start.sh --simulated-annotators N adds some)"
if [ "$simulated_annotators" -gt 0 ]; then
  if [ "$demo_ok" = 1 ]; then
    "${trainer[@]}" annotate --url "$app_url" --project-name "Story demo" --annotators "$simulated_annotators" \
      --oracle-word "$oracle_word" --think-ms 1000 >"$logs/annotators.log" 2>&1 &
    annotators_pid=$!
    annotators_line="$simulated_annotators, preferring stories that mention \"$oracle_word\" (accounts sim-1..$simulated_annotators; log: $logs/annotators.log)"
  else
    annotators_line="NOT started: the demo project is $demo"
  fi
fi

case "$password_source" in
  generated) login="$RLHF_ADMIN_USERNAME / $RLHF_ADMIN_PASSWORD  (generated now and shown once; kept in $password_file)" ;;
  file) login="$RLHF_ADMIN_USERNAME / the password in $password_file" ;;
  env) login="$RLHF_ADMIN_USERNAME / \$RLHF_ADMIN_PASSWORD" ;;
  app)
    password_line=$(grep -o "Created admin account '[^']*' with generated password: [^ ]*" "$logs/annotation-app.console.log" || true)
    if [ -n "$password_line" ]; then
      login="${password_line#Created admin account \'}"; login="${login%%\'*} / ${password_line##*: }  (generated now and shown once: note it)"
    else
      login="$RLHF_ADMIN_USERNAME / the password printed on the first start"
    fi ;;
esac
cat <<MSG

  RLHF pipeline is up.
    Open the UI:           $app_url/
    Admin login:           $login
    Health:                $app_url/actuator/health
    Kafka:                 $kafka  (topics rlhf.*; any Kafka client can connect)
    Demo project:          $demo
    Trainer service:       $trainer_line
    Simulated annotators:  $annotators_line
    Data:                  $data_dir
  Press Ctrl-C to stop.

MSG

# Keep running until Ctrl-C, or until the app or the trainer exits on its own (the simulated
# annotators may finish by themselves; the rest keeps running).
while kill -0 "$app_pid" 2>/dev/null && { [ -z "$trainer_pid" ] || kill -0 "$trainer_pid" 2>/dev/null; }; do
  sleep 1
done
if [ -n "$trainer_pid" ] && ! kill -0 "$trainer_pid" 2>/dev/null; then
  echo "The trainer service exited; last lines of $logs/trainer.log:" >&2
  tail -n 5 "$logs/trainer.log" >&2
fi
stop 1
