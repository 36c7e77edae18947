# Front door: `make run` and `make test` work on a fresh Debian 12 machine as root.
.PHONY: all deps build build-test run test unit integration e2e e2e-run bench clean format

JOBS ?= $(shell nproc)

all: build

deps:
	@./scripts/install-deps.sh

build: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS)

build-test: deps
	@cmake --preset debug >/dev/null
	@cmake --build --preset debug -j $(JOBS)

# Starts the gateway against Lingma, or against the bundled simulator when no Lingma is found.
run: build
	@./scripts/run.sh build/release

# Every test: unit and integration suites (ctest), then the end-to-end suite with the official
# OpenAI SDK against the gateway and the simulator.
test: build-test
	@ctest --preset debug -j $(JOBS)
	@$(MAKE) --no-print-directory e2e-run

e2e: build-test e2e-run

e2e-run:
	@cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error && LGW_BUILD_DIR=$(CURDIR)/build/debug npm test

unit: build-test
	@ctest --preset debug -L unit -j $(JOBS)

integration: build-test
	@ctest --preset debug -L integration

# Benchmarks (numbers printed, never asserted): session reuse on vs off over a 10-turn conversation.
bench: build
	@node bench/session_reuse.mjs --build-dir build/release

format:
	@clang-format -i $$(git ls-files '*.cpp' '*.hpp')

clean:
	@rm -rf build
