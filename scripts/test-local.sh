#!/usr/bin/env bash
# Runs the test suite against real Apache Kafka started from Maven Central
# jars: first a single node, then a 3-node cluster for the failover tests.
set -euo pipefail
cd "$(dirname "$0")/.."

# The proxied listeners bind 39092-39094, inside Linux's ephemeral range:
# keep outgoing connections off them where the kernel lets us.
sysctl -w net.ipv4.ip_local_reserved_ports=39092-39094 >/dev/null 2>&1 || true

trap 'scripts/kafka-local.sh down -q >/dev/null 2>&1 || true' EXIT
scripts/kafka-local.sh fetch
scripts/kafka-local.sh up single-node
PRODLAB_KAFKA=local go test -count=1 -p 1 -timeout 15m ./...
scripts/kafka-local.sh down
scripts/kafka-local.sh up cluster
PRODLAB_KAFKA=local PRODLAB_KAFKA_MODE=cluster go test -count=1 -p 1 -timeout 15m -run 'Cluster|Failover' ./...
scripts/kafka-local.sh down
