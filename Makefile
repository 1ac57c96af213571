# Two commands on a fresh machine: `make demo` and `make test`.
BUILD ?= build
SHARED ?= $(abspath ../shared)
JOBS ?= $(shell nproc)

.PHONY: all setup build demo test test-guest unit runtime ratchet conformance bench fuzz asan install deb test-deb release clean

all: build

setup:
	@scripts/setup.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDTRACE_WERROR=ON

build: setup $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	@scripts/demo.sh $(BUILD)/dtrace

test: build
	cd $(BUILD) && ctest --output-on-failure -j 1
	@scripts/ratchet.sh $(BUILD)/dtrace $(SHARED)/conformance

# On Debian 12's own kernel (6.1) in a QEMU guest (tests/guest): every
# runtime test, then the conformance ratchet. Fetches Debian's kernel
# package with apt once; slow (the guest runs under TCG).
test-guest: build
	tests/guest/suite.sh runtime $(BUILD); r=$$?; \
	SHARED=$(SHARED) tests/guest/suite.sh ratchet $(BUILD); r2=$$?; \
	[ $$r -eq 0 -o $$r -eq 77 ] && [ $$r2 -eq 0 -o $$r2 -eq 77 ]

# The conformance ratchet alone (tests known to pass).
ratchet: build
	@scripts/ratchet.sh $(BUILD)/dtrace $(SHARED)/conformance

# The whole corpus; slow (a failing test may sit at its time-out).
conformance: build
	$(SHARED)/conformance/run --dtrace $(abspath $(BUILD)/dtrace) --list-failures

bench: build
	@bench/run.sh $(BUILD)/dtrace

# The compiler fuzzer, built with AddressSanitizer and UBSan, for
# FUZZ_SECONDS (default 1800), seeded with fuzz/corpus and the runtime
# tests' D programs; new inputs go to fuzz/corpus, the input of a crash or
# hang to fuzz-crashes/current.
FUZZ_SECONDS ?= 1800
fuzz: setup
	cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDTRACE_WERROR=ON -DDTRACE_SANITIZE=ON -DDTRACE_FUZZ=ON
	cmake --build build-asan -j $(JOBS) --target compile_fuzzer
	build-asan/compile_fuzzer -seconds $(FUZZ_SECONDS) -corpus fuzz/corpus -crashes fuzz-crashes tests/runtime/*.d

# The unit and runtime tests under AddressSanitizer and LeakSanitizer.
asan: setup
	cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDTRACE_WERROR=ON -DDTRACE_SANITIZE=ON -DDTRACE_FUZZ=ON
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j 1

# Installs dtrace, its man pages, the D library and the toolkit under
# PREFIX (default /usr/local); DESTDIR stages it elsewhere.
PREFIX ?= /usr/local
install: build
	DESTDIR=$(DESTDIR) cmake --install $(BUILD) --prefix $(PREFIX)

# A Debian package built with Debian's tools (debhelper) from a tarball
# of this tree, as a packager builds it (no -Werror, no tests); the .deb
# lands in build-deb/.
deb: setup
	@scripts/make-deb.sh build-deb

# The package installed on a fresh Debian 12 (a debootstrap'ed root),
# then run there: slow, fetches Debian's base system with apt's mirrors.
test-deb: deb
	@tests/package/fresh-install.sh build-deb

# The build packagers make (Release, no -Werror), to see that it builds.
release: setup
	cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DDTRACE_TESTS=OFF
	cmake --build build-release -j $(JOBS)

clean:
	rm -rf $(BUILD)
