# Two commands on a fresh machine: `make demo` and `make test`.
BUILD ?= build
SHARED ?= $(abspath ../shared)
JOBS ?= $(shell nproc)

.PHONY: all setup build demo test unit runtime ratchet conformance bench clean

all: build

setup:
	@scripts/setup.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: setup $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	@scripts/demo.sh $(BUILD)/dtrace

test: build
	cd $(BUILD) && ctest --output-on-failure -j 1
	@scripts/ratchet.sh $(BUILD)/dtrace $(SHARED)/conformance

# The conformance ratchet alone (tests known to pass).
ratchet: build
	@scripts/ratchet.sh $(BUILD)/dtrace $(SHARED)/conformance

# The whole corpus; slow (a failing test may sit at its time-out).
conformance: build
	$(SHARED)/conformance/run --dtrace $(abspath $(BUILD)/dtrace) --list-failures

bench: build
	@bench/run.sh $(BUILD)/dtrace

clean:
	rm -rf $(BUILD)
