#!/usr/bin/env bash
# Runs the whole test suite: unit tests, integration tests against the real PostgreSQL
# (127.0.0.1:5432, database test) and in-process Kafka brokers, and the packaged-jar tests.
# Extra arguments go to Maven, e.g. ./test.sh -pl trainer
set -euo pipefail
cd "$(dirname "$0")"
source bin/jdk.sh
rlhf_select_jdk
exec ./mvnw -B --no-transfer-progress verify "$@"
