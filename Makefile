# evalplan — build, test, demo, bench, lint. `make help` lists the targets.
GO       ?= go
BIN      := bin
VERSION  ?= 0.1.0-dev
LDFLAGS  := -X main.version=$(VERSION)
STATICCHECK_VERSION := v0.8.2

.PHONY: help build install test demo bench lint clean

help:
	@echo "make build   build bin/evalplan and bin/evalplan-sim"
	@echo "make install go install evalplan and evalplan-sim (GOBIN, else GOPATH/bin)"
	@echo "make demo    build, start the simulated endpoint, plan and apply examples/quickstart"
	@echo "make test    lint, then every test (the race detector on the engine and harness)"
	@echo "make bench   run the Go benchmarks"
	@echo "make lint    gofmt, go vet, staticcheck"

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/evalplan ./cmd/evalplan
	$(GO) build -o $(BIN)/evalplan-sim ./cmd/evalplan-sim

install:
	$(GO) install -ldflags "$(LDFLAGS)" ./cmd/evalplan ./cmd/evalplan-sim

demo: build
	./examples/quickstart/demo.sh

test: lint
	.ci/test.sh

bench:
	GO="$(GO)" .ci/bench.sh

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

clean:
	rm -rf $(BIN)
