# Front door: `make run` and `make test` work on a fresh Debian 12 machine as root.
.PHONY: all deps build build-test run test unit integration e2e clean format

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

# Every test: unit and integration suites (ctest).
test: build-test
	@ctest --preset debug -j $(JOBS)

unit: build-test
	@ctest --preset debug -L unit -j $(JOBS)

integration: build-test
	@ctest --preset debug -L integration

format:
	@clang-format -i $$(git ls-files '*.cpp' '*.hpp')

clean:
	@rm -rf build
