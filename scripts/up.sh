#!/usr/bin/env bash
# Starts the prodlab training with Docker: real Kafka (single-node or a
# 3-node cluster), Kafka UI, Toxiproxy and the two producer APIs.
#
#   scripts/up.sh [single-node|cluster]
#
# Without Docker use `prodlab kafka up MODE` (scripts/kafka-local.sh) and
# `prodlab up --kafka ...` instead.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

source scripts/french.sh

mode=${1:-single-node}
case "$mode" in
  single-node) brokers=1 ;;
  cluster) brokers=3 ;;
  *) echo "usage: scripts/up.sh [single-node|cluster]" >&2; exit 2 ;;
esac

# The module's toxiproxy-init creates one proxy per broker.
export PRODLAB_KAFKA_BROKERS=$brokers
docker compose -p prodlab \
  -f "infra/docker-compose.$mode.yml" \
  -f infra/docker-compose.module.yml \
  up -d --build --wait --wait-timeout 300

direct=localhost:9092$([[ $brokers == 3 ]] && echo ",localhost:9093,localhost:9094")
if french; then
  cat <<INFO
prodlab ($mode) est démarré :
  Kafka (DIRECT, pour les outils) $direct
  Kafka UI                        http://localhost:8080  (cluster BHF-Training)
  API Toxiproxy                   http://localhost:8474
  API franz-go                    http://localhost:18080
  API librdkafka                  http://localhost:18081
Arrêt : scripts/down.sh
INFO
else
  cat <<INFO
prodlab ($mode) is up:
  Kafka (DIRECT, for tools)  $direct
  Kafka UI                   http://localhost:8080  (cluster BHF-Training)
  Toxiproxy API              http://localhost:8474
  franz-go API               http://localhost:18080
  librdkafka API             http://localhost:18081
Stop with scripts/down.sh
INFO
fi
