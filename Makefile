# Lắng Nghe. `make run` starts the demo; `make test` starts real Kafka and Elasticsearch,
# runs every test against them, and stops them.
GO       ?= go
PKGS     ?= ./...
INFRA    ?= kafka elasticsearch es-tls es-fault mailpit prometheus
FUZZTIME ?= 20s
# staticcheck 2026.2.2, the first release line that supports Go 1.26; bump deliberately.
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: run build test test-unit check infra-up infra-down bench fuzz vet

run:
	$(GO) run ./cmd/langnghe run --demo

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS := -X main.version=$(VERSION) -X main.commit=$(COMMIT)

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/langnghe ./cmd/langnghe

vet:
	$(GO) vet $(PKGS)

# Unit tests only: kfake and bleve, no external components.
test-unit:
	$(GO) test -count=1 $(PKGS)

# Static checks, no components: go.mod tidy, gofmt, go vet, staticcheck (pinned above).
check:
	$(GO) mod tidy -diff
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt -l: not gofmt'ed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) run $(STATICCHECK) $(PKGS)

# Everything: the checks, then starts the real components, runs unit and integration tests,
# always stops them. testsummary prints failed tests' output and ends with the pass, fail and
# skip counts and why tests were skipped; the exit status is go test's.
test: check
	@set -e; trap 'testinfra/down.sh' EXIT; \
	testinfra/up.sh $(INFRA); \
	. .testinfra/env; \
	$(GO) run ./testinfra/cmd/testsummary -- $(GO) test -json -count=1 -timeout 40m $(PKGS)

infra-up:
	testinfra/up.sh $(INFRA)

infra-down:
	testinfra/down.sh

# Benchmarks. Integration benchmarks run when the components are up (make infra-up).
bench:
	@set -e; if [ -f .testinfra/env ]; then . .testinfra/env; fi; \
	$(GO) test -run '^$$' -bench . -benchmem -timeout 60m $(PKGS)

fuzz:
	@set -e; for spec in $$(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u); do \
	  for f in $$(grep -h '^func Fuzz' $$spec/*_test.go | sed 's/func \(Fuzz[A-Za-z0-9_]*\).*/\1/'); do \
	    echo "fuzz $$spec $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$spec; \
	  done; done
