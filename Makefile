# Everyday commands; CMake does the real work.
#   make demo    install build deps, build, run the offline demo on SQLite
#   make test    install deps and test servers, build with sanitizers, run every test,
#                then compile the release build too
#   make build   release build only          make format   clang-format the tree
SHELL := /bin/bash
JOBS ?= $(shell nproc)
BUILD_DIR ?= build/release
TEST_BUILD_DIR ?= build/test
DEMO_DIR ?= build/demo

.PHONY: all build demo test deps test-deps format clean bench

all: build

deps:
	@scripts/install-deps.sh

test-deps:
	@scripts/install-deps.sh --test

build: deps
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release -DBASELINR_BUILD_TESTS=OFF >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS)

demo: build
	$(BUILD_DIR)/baselinr demo --dir $(DEMO_DIR)

# After the tests, the Release build `make demo` uses must compile too (optimised builds see
# warnings the Debug build does not).
test: test-deps
	@cmake -S . -B $(TEST_BUILD_DIR) -DCMAKE_BUILD_TYPE=Debug -DBASELINR_SANITIZE=ON >/dev/null
	@cmake --build $(TEST_BUILD_DIR) -j $(JOBS)
	@scripts/run-tests.sh $(TEST_BUILD_DIR)
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release -DBASELINR_BUILD_TESTS=OFF >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS)

bench: test-deps
	@cmake -S . -B build/bench -DCMAKE_BUILD_TYPE=Release -DBASELINR_BUILD_TESTS=OFF -DBASELINR_BUILD_BENCH=ON >/dev/null
	@cmake --build build/bench -j $(JOBS)
	@scripts/run-bench.sh build/bench

format:
	@git ls-files '*.cpp' '*.hpp' '*.h' | xargs clang-format -i

clean:
	rm -rf build
