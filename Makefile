# The two commands a newcomer needs: `make demo` and `make test`.

CARGO ?= cargo
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)

.PHONY: all build demo test testacc bench fuzz lint fmt clippy docs release release-check install clean

all: build

## build: the provider and the emulator, release mode
build:
	$(CARGO) build --release --locked --workspace --bins

## demo: build, start the emulator, init/plan/apply/plan/destroy examples/quickstart, stop the emulator
demo: build
	scripts/demo.sh

## test: every test, including the acceptance tests that drive the real terraform CLI
test:
	TESTACC_TARGET=emulator $(CARGO) test --locked --workspace

## testacc: the live acceptance suite (tests/live) against real Azure with TESTACC_TARGET=azure and the ARM_* and
## TESTACC_* variables of docs/reliability.md; against the emulator otherwise (make test runs it that way too)
testacc:
	$(CARGO) test --locked --test live -- --nocapture

## bench: the benchmark of docs/performance.md (release build, emulator, real terraform): a table on stdout and
## target/bench/results.json. Not part of `make test`; run it on a quiet machine. BENCH_QUICK=1 checks it quickly.
bench:
	$(CARGO) bench --locked --bench provider

## fuzz: every fuzz target for FUZZ_SECONDS each (default 60), seeded from the swagger examples. cargo-fuzz is
## installed into .tools/ the first time; RUSTC_BOOTSTRAP=1 lets the stable compiler take libFuzzer's -Z flags.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := arm_id cloud_error operation_status msgpack_value
FUZZ_EXAMPLES ?= spec/azure/examples
FUZZ_SANITIZER ?= address
CARGO_FUZZ := .tools/bin/cargo-fuzz
fuzz: $(CARGO_FUZZ)
	$(CARGO) run --quiet --release --manifest-path fuzz/Cargo.toml --bin seed -- $(FUZZ_EXAMPLES) fuzz/corpus
	@for target in $(FUZZ_TARGETS); do \
		echo "== fuzzing $$target for $(FUZZ_SECONDS) s (log: fuzz/$$target.log)"; \
		RUSTC_BOOTSTRAP=1 $(CARGO_FUZZ) run --fuzz-dir fuzz --sanitizer $(FUZZ_SANITIZER) --release --debug-assertions \
			$$target fuzz/corpus/$$target -- -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 \
			-print_final_stats=1 > fuzz/$$target.log 2>&1 || { tail -n 40 fuzz/$$target.log; exit 1; }; \
		grep -E "^stat::number_of_executed_units|^Done" fuzz/$$target.log; \
	done

$(CARGO_FUZZ):
	$(CARGO) install cargo-fuzz --locked --version 0.13.2 --root .tools

## lint: the formatting and clippy gates CI runs
lint: fmt clippy

fmt:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --locked --workspace --all-targets -- -D warnings

## docs: regenerate docs/ from the provider schema, templates/ and examples/
docs:
	$(CARGO) xtask docs

## release: dist/ with a zip per platform (RELEASE_PLATFORMS: static linux_amd64, linux_arm64, windows_amd64),
## the manifest, SHA256SUMS and its binary GPG signature the registry expects, plus a provider-mirror layout.
## The key comes from GPG_PRIVATE_KEY (or GPG_FINGERPRINT); without one, a throwaway key signs (docs/release.md).
## zig and cargo-zigbuild are installed into .tools/ the first time; rustup adds the Rust targets.
## DARWIN_AMD64_BINARY / DARWIN_ARM64_BINARY add darwin binaries built on a Mac.
RELEASE_PLATFORMS ?= linux_amd64 linux_arm64 windows_amd64
ZIGBUILD := .tools/zig/bin/cargo-zigbuild
release: $(ZIGBUILD)
	nice -n 10 scripts/release.sh all dist $(RELEASE_PLATFORMS)

$(ZIGBUILD):
	python3 -m venv .tools/zig
	.tools/zig/bin/pip install --quiet --disable-pip-version-check ziglang==0.17.1 cargo-zigbuild==0.24.1

## release-check: `make release`, then the cross-built binaries on this machine: the linux_amd64 one is static and
## runs the quickstart (apply, plan, destroy) against the emulator, linux_arm64 under qemu-user, windows_amd64
## under wine, each driven by the real terraform. Installs qemu-user-static, libc6-arm64-cross and wine64 with
## apt-get when missing.
RELEASE_CHECK_PACKAGES := qemu-user-static:/usr/bin/qemu-aarch64-static libc6-arm64-cross:/usr/aarch64-linux-gnu/lib/libc.so.6 \
	wine64:/usr/lib/wine/wine64 gpg:/usr/bin/gpg zip:/usr/bin/zip unzip:/usr/bin/unzip file:/usr/bin/file
release-check: release
	@missing=""; for pair in $(RELEASE_CHECK_PACKAGES); do [ -e "$${pair#*:}" ] || missing="$$missing $${pair%%:*}"; done; \
	if [ -n "$$missing" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; fi
	RELEASE_DIST=$(CURDIR)/dist TESTACC_TARGET=emulator $(CARGO) test --locked --test acceptance release_check -- --include-ignored --test-threads 1

## install: put the release build where terraform looks for local providers (~/.terraform.d/plugins)
install: build
	scripts/install.sh

clean:
	$(CARGO) clean
	rm -rf .demo dist
