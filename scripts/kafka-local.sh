#!/usr/bin/env bash
# Real Apache Kafka on this machine without Docker (jars from Maven Central,
# needs java 17+ and mvn). Thin wrapper around `go run ./cmd/prodlab kafka`.
#
#   scripts/kafka-local.sh up [single-node|cluster]   start and wait until ready
#   scripts/kafka-local.sh down                       stop every local broker
#   scripts/kafka-local.sh status                     exit 3 unless all brokers are up
#   scripts/kafka-local.sh kill N | start N | fetch   see `prodlab kafka -h`
#
# Extra flags go through, e.g. `scripts/kafka-local.sh up cluster --timeout 5m`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

usage() {
  sed -n '2,10s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
  exit 2
}

# Like `go run ./cmd/prodlab`, but keeps prodlab's exit status (go run turns
# every failure into 1, and `status` reports "down" as 3).
prodlab() {
  local bin=.prodlab/bin/prodlab
  go build -o "$bin" ./cmd/prodlab
  exec "$bin" "$@"
}

[[ $# -ge 1 ]] || usage
case "$1" in
  up)
    shift
    mode=single-node
    if [[ $# -ge 1 && $1 != -* ]]; then
      mode=$1
      shift
    fi
    case "$mode" in
      single-node | cluster) ;;
      *) echo "unknown mode: $mode (single-node or cluster)" >&2; exit 2 ;;
    esac
    prodlab kafka up "$mode" "$@"
    ;;
  down | status | kill | start | fetch)
    prodlab kafka "$@"
    ;;
  -h | --help | help) usage ;;
  *) echo "unknown command: $1" >&2; usage ;;
esac
