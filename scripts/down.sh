#!/usr/bin/env bash
# Stops the Docker-based prodlab training started by scripts/up.sh (either
# mode) and removes its containers, network and volumes.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# The cluster file holds every service of the single-node file, so these two
# files name every container either mode can have started.
docker compose -p prodlab \
  -f infra/docker-compose.cluster.yml \
  -f infra/docker-compose.module.yml \
  down --volumes --remove-orphans
