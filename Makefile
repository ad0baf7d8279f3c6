# prodlab: the Kafka producer-reliability lab.
#
#   make test           everything CI runs: lint, embedded tests, the fuzzers
#                       (FUZZTIME: 30000 inputs each), real Apache Kafka
#                       tests, the lab guide and the browser tests
#   make test-embedded  only Go and gcc needed
#   make test-local     real Apache Kafka from Maven Central jars (JDK 17+, Maven)
#   make up             build with visible progress, then run the lab (ARGS=...)
#   make screenshots    refresh README's console images in docs/img
#   make java-test      the Java client matrix (kafka-clients 3.6.1, 3.9.1, 4.4.0)

GO ?= go
export CGO_ENABLED := 1

.PHONY: all build up test lint java-check java-test test-embedded test-local bench bench-procs kafka-fetch kafka-up kafka-up-cluster kafka-down tree-before tree-check screenshots

all: build

build:
	$(GO) build -o bin/prodlab ./cmd/prodlab

# The first start compiles Go's standard library, franz-go and librdkafka:
# scripts/start.sh says so and counts the packages as they compile.
up:
	scripts/start.sh $(ARGS)

# tree-before and tree-check bracket the suite: the tests must leave the
# git tree as they found it (no rewritten tracked file, no stray file).
test: tree-before lint java-check kcat-check test-embedded test-race fuzz doc-test test-local browser-test tree-check

tree-before:
	@mkdir -p build && git status --porcelain=v1 --untracked-files=all >build/tree-before.txt

tree-check:
	@git status --porcelain=v1 --untracked-files=all >build/tree-after.txt; \
	if ! cmp -s build/tree-before.txt build/tree-after.txt; then \
	  echo "tree-check: the tests changed the git tree (before → after):"; \
	  diff build/tree-before.txt build/tree-after.txt; exit 1; \
	fi; echo "tree-check: git status is as before the tests ($$(wc -l <build/tree-after.txt) entries)"

# The Java tests (internal/doctest: the client matrix, Kafka's tools, the Java tutorial) skip under
# plain `go test ./...` when java or mvn is missing; under make they must run.
export PRODLAB_REQUIRE_JAVA := 1

java-check:
	@command -v java >/dev/null && command -v mvn >/dev/null || { echo "make test needs java (JDK 17+) and mvn on PATH: .ci/run installs them"; exit 1; }

# The kcat tests (a librdkafka client nobody here wrote, through the relay)
# skip under plain `go test ./...` when kcat is missing; under make they
# must run.
export PRODLAB_REQUIRE_KCAT := 1

.PHONY: kcat-check
kcat-check:
	@command -v kcat >/dev/null || { echo "make test needs kcat on PATH (Debian: apt-get install kcat): .ci/run installs it"; exit 1; }

# kafka-clients 3.6.1 (the seed's), 3.9.1 and 4.4.0, and Kafka's own CLI
# tools, against the embedded lab, each built by Maven from tests/java/;
# test-embedded runs them too.
java-test: java-check
	$(GO) test -count=1 -timeout 15m -v -run 'TestJavaClients|TestKafkaTools' ./internal/doctest/

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	CGO_ENABLED=0 $(GO) vet ./...
	@# Where trainees are: macOS (Intel, Apple silicon) and Windows build
	@# without cgo, so without the librdkafka engine.
	CGO_ENABLED=0 GOOS=darwin GOARCH=amd64 $(GO) build ./...
	CGO_ENABLED=0 GOOS=darwin GOARCH=arm64 $(GO) build ./...
	CGO_ENABLED=0 GOOS=windows GOARCH=amd64 $(GO) build ./...
	CGO_ENABLED=0 $(GO) test -count=1 -run 'TestNoLibrdkafka|TestRegistry' ./internal/engine/
	@if $(GO) list -deps ./internal/admin ./internal/api ./internal/console ./internal/target ./internal/validate ./internal/experiment | grep -q confluent; then echo "a package that does not use librdkafka links it"; exit 1; fi
	@if $(GO) list -deps ./internal/admin ./internal/api ./internal/console ./internal/target ./internal/validate ./internal/experiment ./internal/direct ./internal/progress | grep -q 'prometheus\|kprom'; then echo "a package that serves no metrics links Prometheus"; exit 1; fi

test-embedded:
	$(GO) test -count=1 -timeout 15m ./...

# The race detector on the tests that exercise shared state concurrently:
# the API's sync bound and metadata cache, the status store, the engines,
# Toxiproxy's supervisor, toxic churn, server limits, console runs and
# experiment faults.
.PHONY: test-race
test-race:
	$(GO) test -race -count=1 -timeout 10m \
		-run 'TestSyncBoundAnswers504|TestSyncBoundStoreFull|TestStaleCountServed|TestDeletedTopicDropsCount|TestStandingFault|TestRecreatedTopicUnderLoad|TestShutdownFlushes|TestClientHangUpDoesNotCancel|TestBoundedUnderLoad|TestCloseAnswersEachRecordOnce' \
		./internal/api/ ./internal/status/ ./internal/engine/
	PRODLAB_CHURN=20s $(GO) test -race -count=1 -timeout 20m \
		-run 'TestRestart|TestDialer|TestToxicChurn|TestServerLimits|TestCloseWaitsForRun|TestRuns|TestFaults|TestMessagesBounded|TestRemoveToxicFailureKept|TestAckLoss' \
		./internal/toxi/ ./internal/lab/ ./internal/console/ ./internal/experiment/

# Real Apache Kafka: single-node for the whole suite, then the 3-node cluster
# for the tests that need one. Packages run one at a time: the brokers'
# proxied listeners advertise the fixed Toxiproxy ports 29093-29095.
test-local:
	scripts/test-local.sh

# The lab guide (docs/lab/module-02-producer-reliability.md): every bash block
# runs in order against a fresh embedded lab on the seed's ports (in a private
# network namespace when possible), its output checked against the guide's
# "Résultat attendu"; the Go tutorial's full program is built and sends
# one record; the Java tutorial's Spring Boot API is built by Maven
# (kafka-clients 3.6.1 and 4.4.0; the first build downloads Spring Boot from
# Maven Central, later ones run offline), driven, and put through
# `prodlab validate`. These tests skip under plain `go test ./...`
# (PRODLAB_DOCTEST).
.PHONY: doc-test
doc-test:
	PRODLAB_DOCTEST=1 $(GO) test -count=1 -timeout 20m -v -run 'TestGuide|TestTutorial' ./internal/doctest/

# The web console driven in Debian's Chromium (/usr/bin/chromium) with
# playwright-core from npm, which never downloads a browser, in French and
# in English. It starts its own lab on free ports and writes its screenshots
# to build/screenshots (git ignores build/); `make screenshots` writes them
# to docs/img instead, on purpose. Then cross-origin.test.mjs attacks a
# fresh lab from a page of another origin and checks nothing changed.
.PHONY: browser-test
browser-test:
	cd tests/browser && { test -d node_modules/playwright-core || npm ci --no-audit --no-fund; } && node console.test.mjs && node cross-origin.test.mjs

# Go native fuzzing, a bounded time each (FUZZTIME), from the seed corpora
# committed under testdata/fuzz: the producer API's send parsing and the
# console's toxic body, each over a fake engine or Toxiproxy, and kproxy's
# rewriting of broker addresses in Kafka answers. A failing
# input is written to testdata/fuzz and fails the target.
FUZZTIME ?= 30000x
.PHONY: fuzz
fuzz:
	$(GO) test -count=1 -run '^$$' -fuzz '^FuzzSendQuery$$' -fuzztime $(FUZZTIME) ./internal/api/
	$(GO) test -count=1 -run '^$$' -fuzz '^FuzzToxicBody$$' -fuzztime $(FUZZTIME) ./internal/console/
	$(GO) test -count=1 -run '^$$' -fuzz '^FuzzRequestTarget$$' -fuzztime $(FUZZTIME) ./internal/toxi/
	$(GO) test -count=1 -run '^$$' -fuzz '^FuzzReadFrame$$' -fuzztime $(FUZZTIME) ./internal/kafkaframe/
	$(GO) test -count=1 -run '^$$' -fuzz '^FuzzRewrite$$' -fuzztime $(FUZZTIME) ./internal/kproxy/

screenshots:
	$(MAKE) browser-test SCREENSHOT=docs/img/console.png SCREENSHOT_LAB=docs/img/console-lab.png

bench:
	$(GO) run ./cmd/prodlab bench

# Each API in its own process against one lab, side by side with the Java
# tutorial's API on kafka-clients 3.6.1 and 4.4.0 (docs/performance.md).
# BENCH_FLAGS=--quick for a 1-minute run.
BENCH_DIR ?= /tmp/prodlab-bench-procs
bench-procs:
	$(GO) build -o $(BENCH_DIR)/prodlab ./cmd/prodlab
	$(BENCH_DIR)/prodlab bench --procs $(BENCH_FLAGS) \
		--peer "$$(scripts/bench-java-tutorial.sh 3.6.1 $(BENCH_DIR)/java-3.6.1)" \
		--peer "$$(scripts/bench-java-tutorial.sh 4.4.0 $(BENCH_DIR)/java-4.4.0)"

kafka-fetch:
	scripts/kafka-local.sh fetch

kafka-up:
	scripts/kafka-local.sh up single-node

kafka-up-cluster:
	scripts/kafka-local.sh up cluster

kafka-down:
	scripts/kafka-local.sh down
