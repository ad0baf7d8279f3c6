# prodlab: the Kafka producer-reliability lab.
#
#   make test           everything CI runs: lint, embedded tests, real Apache
#                       Kafka tests, the lab guide and the browser console
#   make test-embedded  only Go and gcc needed
#   make test-local     real Apache Kafka from Maven Central jars (JDK 17+, Maven)

GO ?= go
export CGO_ENABLED := 1

.PHONY: all build test lint test-embedded test-local bench kafka-fetch kafka-up kafka-up-cluster kafka-down

all: build

build:
	$(GO) build -o bin/prodlab ./cmd/prodlab

test: lint test-embedded test-race doc-test test-local browser-test

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

test-embedded:
	$(GO) test -count=1 -timeout 15m ./...

# The race detector on the tests that exercise shared state: Toxiproxy's
# supervisor, toxic churn, server limits, console runs, experiment faults.
.PHONY: test-race
test-race:
	PRODLAB_CHURN=20s $(GO) test -race -count=1 -timeout 20m -run 'TestRestart|TestToxicChurn|TestServerLimits|TestCloseWaitsForRun|TestRuns|TestFaults|TestMessagesBounded|TestRemoveToxicFailureKept|TestAckLoss' ./internal/toxi/ ./internal/lab/ ./internal/console/ ./internal/experiment/

# Real Apache Kafka: single-node for the whole suite, then the 3-node cluster
# for the tests that need one. Packages run one at a time: the brokers'
# proxied listeners advertise the fixed Toxiproxy ports 29093-29095.
test-local:
	scripts/test-local.sh

# The lab guide (docs/lab/module-02-producer-reliability.md): every bash block
# runs in order against a fresh embedded lab on the seed's ports (in a private
# network namespace when possible), its output checked against the guide's
# "Résultat attendu"; and the Go tutorial's full program is built and sends
# one record. These tests skip under plain `go test ./...` (PRODLAB_DOCTEST).
.PHONY: doc-test
doc-test:
	PRODLAB_DOCTEST=1 $(GO) test -count=1 -timeout 20m -v -run 'TestGuide|TestTutorial' ./internal/doctest/

# The web console driven in Debian's Chromium (/usr/bin/chromium) with
# playwright-core from npm, which never downloads a browser. It starts its
# own lab on free ports and writes docs/img/console.png.
.PHONY: browser-test
browser-test:
	cd tests/browser && { test -d node_modules/playwright-core || npm ci --no-audit --no-fund; } && node console.test.mjs

bench:
	$(GO) run ./cmd/prodlab bench

kafka-fetch:
	scripts/kafka-local.sh fetch

kafka-up:
	scripts/kafka-local.sh up single-node

kafka-up-cluster:
	scripts/kafka-local.sh up cluster

kafka-down:
	scripts/kafka-local.sh down
