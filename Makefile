# Strata: the two set-up commands are `make run` and `make test` (see README.md).
BUILD      ?= build/release
ASAN_BUILD ?= build/asan
FUZZ_BUILD ?= build/fuzz
JOBS       ?= $(shell nproc)
CMAKE_GEN  := -G Ninja
SERVER_ARGS ?=

.PHONY: all deps build run test unit integration asan fuzz bench bench-edge bench-policy bench-latency bench-persistence bench-client format clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/build.ninja:
	@cmake -S . -B $(BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Release >/dev/null

build: deps $(BUILD)/build.ninja
	@cmake --build $(BUILD) -j $(JOBS) | grep -vE '^\[[0-9]+/[0-9]+\] ' || true
	@test -x $(BUILD)/src/kv/strata-server

run: build
	exec $(BUILD)/src/kv/strata-server $(SERVER_ARGS)

# Every test: unit tests, integration tests (real clients against real servers), and the unit
# tests again under ASan+UBSan.
test: build
	@scripts/test.sh $(BUILD) $(ASAN_BUILD)

unit: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

integration: build
	@scripts/integration.sh $(BUILD)

asan: deps
	@cmake -S . -B $(ASAN_BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Debug -DSTRATA_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS) | grep -vE '^\[[0-9]+/[0-9]+\] ' || true
	@cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS)

fuzz: deps
	@cmake -S . -B $(FUZZ_BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++-14 \
	  -DSTRATA_FUZZ=ON -DSTRATA_TESTS=OFF -DSTRATA_BENCH=OFF >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS) | grep -vE '^\[[0-9]+/[0-9]+\] ' || true
	@scripts/fuzz.sh $(FUZZ_BUILD)

bench: build
	@bench/run_kv_bench.sh $(BUILD)

bench-latency: build
	@bench/run_kv_latency.sh $(BUILD)

bench-edge: build
	@bench/run_edge_bench.sh $(BUILD)

# BGSAVE duration, peak memory under a write load, and restart load time, strata vs redis-server
# (KEYS=5000000 by default).
bench-persistence: build
	/usr/bin/python3 bench/persistence_bench.py --build $(BUILD) $(if $(KEYS),--keys $(KEYS))
	/usr/bin/python3 bench/aof_bench.py --build $(BUILD)

# libstrata: L1 hit cost, pipelined throughput against redis-benchmark, GetOrLoad under a herd.
bench-client: build
	/usr/bin/python3 bench/client_bench.py --build $(BUILD) $(if $(QUICK),--quick)

# Eviction policies: hit ratios on the shared traces (with OPT), per-operation costs, then the
# same traces replayed through real strata-server and redis-server processes (bench/policy_e2e.py;
# E2E_ARGS=--quick for a smoke run, E2E_ARGS=--full for every request of every trace).
TRACES ?= $(wildcard $(abspath $(CURDIR)/../shared/traces)/*.keys.xz)
E2E_ARGS ?=
bench-policy: deps $(BUILD)/build.ninja
	@if [ -z "$(TRACES)" ]; then echo "bench-policy: no traces; pass TRACES='a.keys.xz b.keys.xz'"; exit 2; fi
	@cmake --build $(BUILD) -j $(JOBS) --target policy-sim policy_bench strata-server trace-replay | grep -vE '^\[[0-9]+/[0-9]+\] ' || true
	$(BUILD)/bench/policy_sim/policy-sim --jobs 2 --policies all $(TRACES)
	$(BUILD)/bench/micro/policy_bench --benchmark_min_time=0.2
	/usr/bin/python3 bench/policy_e2e.py --build $(BUILD) $(E2E_ARGS) $(TRACES)

format:
	@git ls-files '*.cc' '*.h' | xargs clang-format -i

clean:
	rm -rf build
