# The two commands a newcomer needs: `make demo` and `make test`.

CARGO ?= cargo
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)

.PHONY: all build demo test bench lint fmt clippy docs release install clean

all: build

## build: the provider and the emulator, release mode
build:
	$(CARGO) build --release --locked --bins

## demo: build, start the emulator, init/plan/apply/plan/destroy examples/quickstart, stop the emulator
demo: build
	scripts/demo.sh

## test: every test, including the acceptance tests that drive the real terraform CLI
test:
	$(CARGO) test --locked

## bench: the benchmark of docs/performance.md (release build, emulator, real terraform): a table on stdout and
## target/bench/results.json. Not part of `make test`; run it on a quiet machine. BENCH_QUICK=1 checks it quickly.
bench:
	$(CARGO) bench --locked --bench provider

## lint: the formatting and clippy gates CI runs
lint: fmt clippy

fmt:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --locked --all-targets -- -D warnings

## docs: regenerate docs/ from the provider schema, templates/ and examples/
docs:
	DOCS_UPDATE=1 $(CARGO) test --locked --test docs

## release: dist/ with the zip, SHA256SUMS and manifest the registry expects, plus a provider-mirror layout
release: build
	scripts/release.sh dist

## install: put the release build where terraform looks for local providers (~/.terraform.d/plugins)
install: build
	scripts/install.sh

clean:
	$(CARGO) clean
	rm -rf .demo dist
