#!/usr/bin/env bash
# Builds prodlab, showing the build's progress, then runs `prodlab up` with
# the given flags (make up ARGS="--brokers 3"). The first build on an empty
# Go cache compiles Go's standard library, franz-go and librdkafka (cgo):
# about 1.5 min on 2 free cores, up to 5 min on a busy machine. Later builds
# take about a second.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
GO=${GO:-go}
export CGO_ENABLED=1

source scripts/french.sh

if french; then
  echo "prodlab : compilation de bin/prodlab (la première prend de 1 min 30 à 5 min ; les suivantes, une seconde)..."
else
  echo "prodlab: building bin/prodlab (a first build takes 1.5 to 5 minutes; later ones, a second)..."
fi
start=$SECONDS
total=$("$GO" list -deps ./cmd/prodlab | wc -l)
# -v names each package as it is compiled; cached ones are not named.
"$GO" build -v -o bin/prodlab ./cmd/prodlab 2>&1 | {
  n=0
  while IFS= read -r line; do
    case "$line" in
      *" "* | *:*) printf '\n%s\n' "$line" ;; # a compiler message, not a package
      *)
        n=$((n + 1))
        if french; then
          printf '\r  %d paquets compilés sur %d au plus (%ds)' "$n" "$total" $((SECONDS - start))
        else
          printf '\r  compiled %d of at most %d packages (%ds)' "$n" "$total" $((SECONDS - start))
        fi
        ;;
    esac
  done
  if [ "$n" -gt 0 ]; then echo; fi
}
if french; then
  echo "prodlab : compilé en $((SECONDS - start)) s ; démarrage du lab (Ctrl-C ou \`prodlab down\` l'arrête)"
else
  echo "prodlab: built in $((SECONDS - start)) s; starting the lab (Ctrl-C or \`prodlab down\` stops it)"
fi
exec bin/prodlab up "$@"
