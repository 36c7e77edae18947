# Front door: `make run` and `make test` work on a fresh Debian 12 machine as root.
.PHONY: all deps build build-test run test unit integration e2e e2e-run bench fuzz fuzz-build fuzz-smoke clean format

JOBS ?= $(shell nproc)

all: build

deps:
	@./scripts/install-deps.sh

# The release binaries only: the test suites build under the debug and asan presets.
build: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS) --target lingma-gateway lingma-sim

# The benchmark tools too (not in the default build): a change to a shared interface must not
# leave `make bench` broken.
build-test: deps
	@cmake --preset debug >/dev/null
	@cmake --build --preset debug -j $(JOBS)
	@cmake --build --preset debug -j $(JOBS) --target loadgen loadgen_unit_tests sse_floor

# Starts the gateway against Lingma, or against the bundled simulator when no Lingma is found.
run: build
	@./scripts/run.sh build/release

# Every test: unit and integration suites (ctest), then the end-to-end suite with the official
# OpenAI SDK against the gateway and the simulator.
# The asan preset (ASan + UBSan) runs the unit and integration suites again, and every fuzz
# target runs for a short while.
test: build-test
	@ctest --preset debug -j $(JOBS)
	@build/debug/bench/loadgen_unit_tests --gtest_brief=1
	@$(MAKE) --no-print-directory e2e-run
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan -j $(JOBS)
	@ctest --preset asan -j $(JOBS)
	@$(MAKE) --no-print-directory fuzz-smoke

e2e: build-test e2e-run

e2e-run:
	@cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error && LGW_BUILD_DIR=$(CURDIR)/build/debug npm test

unit: build-test
	@ctest --preset debug -L unit -j $(JOBS)

integration: build-test
	@ctest --preset debug -L integration

# Benchmarks (numbers printed, never asserted): the gateway vs lingma-sim driven directly
# (latency, throughput, streams, memory, start-up), then session reuse on vs off; one table.
bench: build
	@cmake --build --preset release -j $(JOBS) --target loadgen loadgen_unit_tests sse_floor
	@build/release/bench/loadgen_unit_tests --gtest_brief=1
	@node bench/run_bench.mjs --build-dir build/release

# Fuzzing (clang + libFuzzer): `make fuzz` runs each target for FUZZ_SECONDS.
FUZZ_SECONDS ?= 300
FUZZ_SMOKE_SECONDS ?= 20
FUZZ_CXXFLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer

fuzz-build: deps
	@cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
	  -DLGW_FUZZ=ON -DLGW_WERROR=OFF "-DCMAKE_CXX_FLAGS=$(FUZZ_CXXFLAGS)" >/dev/null
	@cmake --build build/fuzz -j $(JOBS) --target lgw_fuzzers

fuzz: fuzz-build
	@./scripts/run-fuzz.sh build/fuzz $(FUZZ_SECONDS)

fuzz-smoke: fuzz-build
	@./scripts/run-fuzz.sh build/fuzz $(FUZZ_SMOKE_SECONDS)

format:
	@clang-format -i $$(git ls-files '*.cpp' '*.hpp')

clean:
	@rm -rf build
