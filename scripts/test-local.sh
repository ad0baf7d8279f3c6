#!/usr/bin/env bash
# Runs the test suite against real Apache Kafka started from Maven Central
# jars (needs java 17+ and mvn; the jars are fetched on first use):
#   1. a single node: every package (PRODLAB_KAFKA=local);
#   2. the 3-node cluster: the tests named *Cluster* or *Failover*
#      (PRODLAB_KAFKA_MODE=cluster), e.g. TestClusterFailover.
# Packages run one at a time (-p 1): the brokers' proxied listeners
# advertise the fixed Toxiproxy ports 29093-29095. Both phases run even if
# the first fails; the script fails if either did. Every broker is stopped
# on exit. Extra arguments go to both `go test` runs (e.g. -v).
set -euo pipefail
cd "$(dirname "$0")/.."

trap 'scripts/kafka-local.sh down >/dev/null 2>&1 || true' EXIT
export PRODLAB_KAFKA=local
unset PRODLAB_KAFKA_BOOTSTRAP # the tests derive it from PRODLAB_KAFKA_MODE

start=$SECONDS
phase() { echo "== test-local: $* (at ${SECONDS}s)"; }
failed=()

phase "fetching Kafka jars"
scripts/kafka-local.sh fetch
scripts/kafka-local.sh down >/dev/null

phase "single-node"
scripts/kafka-local.sh up single-node
if ! PRODLAB_KAFKA_MODE=single-node go test -count=1 -p 1 -timeout 15m "$@" ./...; then
  failed+=(single-node)
fi
scripts/kafka-local.sh down

phase "cluster"
scripts/kafka-local.sh up cluster
if ! PRODLAB_KAFKA_MODE=cluster go test -count=1 -p 1 -timeout 15m -run 'Cluster|Failover' "$@" ./...; then
  failed+=(cluster)
fi
scripts/kafka-local.sh down

phase "done in $((SECONDS - start))s"
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "test-local: FAILED against real Kafka: ${failed[*]}" >&2
  exit 1
fi
echo "test-local: PASS (single-node and cluster)"
