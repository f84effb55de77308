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
#                                                      PPO rollout tokens/s and s per update, DPO and
#                                                      reward-model training pairs/s (stories260K as policy;
#                                                      --alignment false skips them), SFT tokens/s and
#                                                      GFLOP/s vs measured matmul throughput
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
  *) echo "usage: ./bench.sh feedback|ui|loop|trainer [options]  (see the comment at the top of bench.sh)" >&2; exit 2 ;;
esac
echo "load after: $(uptime)"
[ -n "$results" ] && cat "$results"
exit 0
