#!/usr/bin/env bash
# Runs one of the project's benchmarks on this machine and prints its results table.
#
#   ./bench.sh feedback [-Dbench.<name>=<value> ...]   NDJSON import items/s, streamed pairs export lines/s,
#                                                      ranking submissions/s at 32 concurrent clients
#                                                      (feedback-service FeedbackServiceBenchmark)
#   ./bench.sh ui [-Dbench.thinkMillis=0 ...]          server time to show the next task at 50 concurrent
#                                                      annotator sessions (annotation-ui NextTaskBenchmark)
#   ./bench.sh loop [-Dbench.clients=32 ...]          end-to-end latency from a ranking's REST submission to its arrival
#                                                      in the trainer's durable store, and sustained throughput
#                                                      (trainer LoopLatencyBenchmark)
#   ./bench.sh trainer [trainer bench options]         generation tokens/s with and without the KV cache,
#                                                      PPO rollout tokens/s (and its sampling alone) and s per update, DPO and
#                                                      reward-model training pairs/s (stories260K as policy;
#                                                      --alignment false skips them), SFT tokens/s and
#                                                      GFLOP/s vs measured matmul throughput
#   ./bench.sh peer [--rounds N] [--threads N] [trainer bench options]
#                                                      the trainer bench's CPU workloads side by side with the same ones
#                                                      in plain PyTorch eager (bench/peer_pytorch.py, checked first to
#                                                      reproduce stories260K's reference ids): KV-cache decoding ms/token
#                                                      at each context, PPO rollout and rollout-generation tokens/s, s per
#                                                      PPO update, DPO and reward-model pairs/s, SFT tokens/s, matmul
#                                                      GFLOP/s. Rounds interleave (trainer, PyTorch, trainer, ...; default
#                                                      3), both sides at the same threads (default nproc); the table shows
#                                                      medians and trainer/PyTorch speed (>= 1.0x: the trainer at least as
#                                                      fast), with the CPU, BLAS and thread facts, also written to
#                                                      trainer/target/peer-results.md (each round's figures beside
#                                                      the medians; the rounds' JSON lines in trainer/target/peer-rounds). Installs Debian's python3-torch and
#                                                      libopenblas0-openmp when absent (apt-get, as root or with sudo) and
#                                                      runs /usr/bin/python3 with OPENBLAS_CORETYPE unset, so OpenBLAS picks
#                                                      this CPU's kernels. Takes tens of minutes; not part of ./test.sh or CI.
#   ./bench.sh gpu [MODEL_DIR] [fp32|bf16]             GPU smoke run: generate, reward, dpo and ppo --offload-frozen for a
#                                                      few steps on --device gpu (default bf16; MODEL_DIR defaults to the
#                                                      bf16 tiny-random-qwen2 fixture, any supported Hugging Face directory
#                                                      works), printing throughput and peak GPU memory per command.
#                                                      Needs an NVIDIA GPU (nvidia-smi) and a CUDA libtorch 2.7.1:
#                                                      PYTORCH_LIBRARY_PATH=<libtorch>/lib PYTORCH_FLAVOR=cu128.
#                                                      Refuses (exit 2) on a machine without them.
#
# feedback and ui run against the real PostgreSQL on 127.0.0.1:5432 and an in-process Kafka broker;
# trainer uses the stories260K model in ../shared/data. Extra arguments go to Maven (feedback, ui)
# or to `trainer bench` (trainer). Results also go to <module>/target/benchmark-results.md.
set -euo pipefail
cd "$(dirname "$0")"
source bin/jdk.sh
rlhf_select_jdk

module="${1:-}"
[ $# -gt 0 ] && shift
maven_benchmark() { # module, benchmark class pattern, extra args...
  local m="$1" pattern="$2"; shift 2
  # Benchmarks are excluded from the test suite by the parent pom (rlhf.excluded.groups); lift that here.
  ./mvnw -q -pl "$m" -am test -Drlhf.excluded.groups=none -Dgroups=benchmark -Dtest="$pattern" \
    -Dsurefire.failIfNoSpecifiedTests=false "$@"
}

# GPU smoke run: each command a few steps on the GPU, its wall time, throughput and the peak GPU
# memory nvidia-smi saw while it ran (sampled every 200 ms; includes the CUDA context and PyTorch's cache).
gpu_smoke() {
  local model="${1:-../shared/data/models/tiny-random-qwen2}" dtype="${2:-bf16}"
  if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L 2>/dev/null | grep -q '^GPU '; then
    echo "bench.sh gpu: no NVIDIA GPU on this machine (nvidia-smi is missing or lists none); this benchmark only runs on a GPU" >&2
    exit 2
  fi
  if [ -z "${PYTORCH_LIBRARY_PATH:-}" ] || [ -z "${PYTORCH_FLAVOR:-}" ]; then
    echo "bench.sh gpu: set PYTORCH_LIBRARY_PATH to a CUDA 12.8 libtorch 2.7.1 lib directory and PYTORCH_FLAVOR=cu128 (the CPU natives from Maven Central see no GPU)" >&2
    exit 2
  fi
  [ -f "$model/config.json" ] || { echo "bench.sh gpu: $model is not a Hugging Face model directory (no config.json)" >&2; exit 2; }
  ./mvnw -q -pl trainer -am package -DskipTests
  local work; work="$(mktemp -d)"
  trap 'rm -rf "$work"' RETURN
  for i in $(seq 1 32); do
    echo "{\"prompt\": \"Tell me about the number $i.\", \"chosen\": \"$i is a fine number, and I like it.\", \"rejected\": \"No.\"}"
  done > "$work/pairs.jsonl"
  for i in $(seq 1 16); do echo "{\"prompt\": \"Write a short story about the number $i.\"}"; done > "$work/prompts.jsonl"
  local java=(java --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -Dai.djl.offline=true -jar trainer/target/trainer.jar)
  local common=(--device gpu --dtype "$dtype")
  printf '\n| command | dtype | wall s | throughput | peak GPU memory MiB |\n|---|---|---|---|---|\n' > "$work/table.md"
  run_stage() { # name, unit, count-command, trainer args...
    local name="$1" unit="$2" count="$3"; shift 3
    nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 200 > "$work/$name.mem" &
    local sampler=$!
    local start end
    start=$(date +%s.%N)
    "${java[@]}" "$@" > "$work/$name.out" 2> "$work/$name.err" || { kill "$sampler"; cat "$work/$name.err" >&2; echo "bench.sh gpu: $name failed" >&2; exit 1; }
    end=$(date +%s.%N)
    kill "$sampler"; wait "$sampler" 2>/dev/null || true
    local peak n wall
    peak=$(sort -n "$work/$name.mem" | tail -1)
    n=$(eval "$count")
    wall=$(echo "$end - $start" | bc -l)
    printf '| %s | %s | %.1f | %.1f %s/s (load included) | %s |\n' "$name" "$dtype" "$wall" "$(echo "$n / $wall" | bc -l)" "$unit" "$peak" >> "$work/table.md"
    tail -2 "$work/$name.err" >&2
  }
  run_stage generate tokens "grep -o '\"token_ids\":\\[[^]]*' $work/generate.out | tr ',' '\\n' | wc -l" \
    generate --model "$model" --data "$work/prompts.jsonl" --max-new-tokens 64 --temperature 0.7 --seed 1 "${common[@]}"
  run_stage reward pairs "echo 32" \
    reward --model "$model" --data "$work/pairs.jsonl" --out "$work/rm" --max-steps 4 --batch-size 8 --seed 1 "${common[@]}"
  run_stage dpo pairs "echo 32" \
    dpo --model "$model" --data "$work/pairs.jsonl" --out "$work/dpo" --max-steps 4 --batch-size 8 --seed 1 "${common[@]}"
  run_stage ppo steps "echo 2" \
    ppo --model "$model" --reward-model "$work/rm" --data "$work/prompts.jsonl" --out "$work/ppo" --max-steps 2 \
    --batch-size 8 --max-new-tokens 32 --offload-frozen --seed 1 "${common[@]}"
  grep -h '^ppo:' "$work/ppo.err" >&2 || true
  nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | sed 's/^/GPU: /'
  cat "$work/table.md"
}

# Debian's python3-torch links whatever libblas.so.3 the system provides: the reference BLAS (a few
# GFLOP/s) unless an optimised one such as libopenblas0-openmp is installed.
peer_packages() {
  local missing=() p
  for p in python3-torch libopenblas0-openmp; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null 2>&1 || { echo "bench.sh peer: needs Debian's ${missing[*]} (apt-get not found)" >&2; exit 2; }
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  echo "bench.sh peer: installing ${missing[*]}" >&2
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
}

# The trainer's bench and bench/peer_pytorch.py on the same workloads, interleaved, at equal threads.
peer_bench() {
  local command="./bench.sh peer $*" rounds=3 threads bench_args=()
  threads="$(nproc)"
  while [ $# -gt 0 ]; do
    case "$1" in
      --rounds) rounds="$2"; shift 2 ;;
      --threads) threads="$2"; shift 2 ;;
      *) bench_args+=("$1"); shift ;;
    esac
  done
  peer_packages
  local model_dir=../shared/data/models/stories260K python=/usr/bin/python3 # Debian's, where python3-torch lives
  ./mvnw -q -pl trainer -am package -DskipTests
  # Each round's JSON lines stay in trainer/target/peer-rounds (trainer-01.jsonl, peer-01.jsonl, ...).
  local work=trainer/target/peer-rounds
  rm -rf "$work" && mkdir -p "$work"
  for round in $(seq -f %02g 1 "$rounds"); do
    echo "round $round/$rounds: trainer" >&2
    OMP_NUM_THREADS="$threads" java --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
      -Dai.djl.offline=true -Dai.djl.pytorch.num_threads="$threads" -Dai.djl.pytorch.num_interop_threads=1 \
      -jar trainer/target/trainer.jar bench --model "$model_dir/stories260K.bin" --tokenizer "$model_dir/tok512.bin" \
      "${bench_args[@]}" > "$work/trainer-$round.jsonl"
    echo "round $round/$rounds: PyTorch eager" >&2
    env -u OPENBLAS_CORETYPE OMP_NUM_THREADS="$threads" "$python" bench/peer_pytorch.py \
      --model "$model_dir/stories260K.bin" --threads "$threads" "${bench_args[@]}" > "$work/peer-$round.jsonl"
  done
  "$python" bench/peer_pytorch.py table --trainer "$work"/trainer-*.jsonl --peer "$work"/peer-*.jsonl \
    --threads "$threads" --command "$command" | tee trainer/target/peer-results.md
}

echo "load before: $(uptime)"
case "$module" in
  feedback) maven_benchmark feedback-service 'FeedbackServiceBenchmark' "$@"; results=feedback-service/target/benchmark-results.md ;;
  ui) maven_benchmark annotation-ui 'NextTaskBenchmark' "$@"; results=annotation-ui/target/benchmark-results.md ;;
  loop) maven_benchmark trainer 'LoopLatencyBenchmark' "$@"; results=trainer/target/benchmark-results.md ;;
  trainer)
    model_dir=../shared/data/models/stories260K
    ./mvnw -q -pl trainer -am package -DskipTests
    java --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -Dai.djl.offline=true \
      -jar trainer/target/trainer.jar bench --model "$model_dir/stories260K.bin" --tokenizer "$model_dir/tok512.bin" "$@" \
      | tee trainer/target/benchmark-results.md
    results="" ;;
  gpu) gpu_smoke "$@"; results="" ;;
  peer) peer_bench "$@"; results="" ;;
  *) echo "usage: ./bench.sh feedback|ui|loop|trainer|peer|gpu [options]  (see the comment at the top of bench.sh)" >&2; exit 2 ;;
esac
echo "load after: $(uptime)"
[ -n "$results" ] && cat "$results"
exit 0
