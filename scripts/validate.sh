#!/usr/bin/env bash
# Lab 02.4: proves that a retry after a lost acknowledgement duplicates a
# record in plain mode and not in idempotent mode, on every producer API.
# A thin wrapper over `prodlab validate`; flags pass through, e.g.
#
#   scripts/validate.sh --api franz=http://127.0.0.1:18080
#
# Prints OK: franz_idempotent=1 franz_plain=2 librdkafka_idempotent=1 librdkafka_plain=2
# and exits non-zero with a sentence when the demonstration does not hold.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [[ -x bin/prodlab ]]; then
  exec bin/prodlab validate "$@"
fi
exec go run ./cmd/prodlab validate "$@"
