#!/usr/bin/env bash
# Runs a module's benchmark on this machine and prints its results table.
#   ./bench.sh feedback [-Dbench.import.lines=50000 -Dbench.submit.rankings=6000 ...]
# feedback: NDJSON import items/s, streamed pairs export lines/s, ranking submissions/s at 32
# concurrent clients (feedback-service FeedbackServiceBenchmark, against the real PostgreSQL on
# 127.0.0.1:5432 and an in-process Kafka broker). The table is also written to
# feedback-service/target/benchmark-results.md. Extra arguments go to Maven.
set -euo pipefail
cd "$(dirname "$0")"
source bin/jdk.sh
rlhf_select_jdk

case "${1:-}" in
  feedback) shift ;;
  *) echo "usage: ./bench.sh feedback [-Dbench.<name>=<value> ...]  (sizes: see FeedbackServiceBenchmark)" >&2; exit 2 ;;
esac

echo "load before: $(uptime)"
# -DexcludedGroups=none lifts the module's default exclusion of the benchmark tag; -Dtest names the benchmark
# classes (*Benchmark, which the default *Test includes do not match).
./mvnw -q -pl feedback-service -am test -Dgroups=benchmark -DexcludedGroups=none -Dtest='*Benchmark' -Dsurefire.failIfNoSpecifiedTests=false "$@"
echo "load after: $(uptime)"
cat feedback-service/target/benchmark-results.md
