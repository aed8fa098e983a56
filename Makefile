# Warden — build, run and test. `make run` and `make test` are the quick start.
SHELL := /bin/bash
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)

.PHONY: all build run test test-go lint onnxruntime test-deps bench clean

all: build

## build: compile bin/warden
build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/warden ./cmd/warden

## onnxruntime: fetch and verify libonnxruntime.so.1 into the user cache
onnxruntime:
	@scripts/fetch-onnxruntime.sh >/dev/null

## run: fetch what is needed, build and start Warden on its embedded default
run: onnxruntime build
	WARDEN_ONNXRUNTIME_LIB=$${WARDEN_ONNXRUNTIME_LIB:-$$(scripts/fetch-onnxruntime.sh)} ./bin/warden serve

## test-deps: install everything the tests need (system packages, npm packages, ORT)
TEST_APT_PACKAGES := kcat postgresql chromium nodejs python3-torch python3-onnx
test-deps: onnxruntime
	scripts/test-setup.sh $(TEST_APT_PACKAGES)

## test: the whole test suite (what CI runs)
test: test-deps lint
	WARDEN_ONNXRUNTIME_LIB=$${WARDEN_ONNXRUNTIME_LIB:-$$(scripts/fetch-onnxruntime.sh)} \
	WARDEN_REQUIRE_POSTGRES=1 \
	  $(GO) test -race -count=1 -timeout 45m ./...

## lint: gofmt, go vet, staticcheck
lint:
	@fmt=$$(gofmt -l $$(git ls-files '*.go' | grep -v '^vendor/')); \
	  if [ -n "$$fmt" ]; then echo "gofmt needed:"; echo "$$fmt"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

## bench: benchmarks (figures go to docs/benchmarks.md)
bench: onnxruntime
	WARDEN_ONNXRUNTIME_LIB=$${WARDEN_ONNXRUNTIME_LIB:-$$(scripts/fetch-onnxruntime.sh)} \
	  $(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin
