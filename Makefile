# The two commands a newcomer needs: `make demo` and `make test`.

CARGO ?= cargo
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)

.PHONY: all build demo test lint fmt clippy bench fuzz docs release install clean

all: build

## build: the provider and the emulator, release mode
build:
	$(CARGO) build --release --locked --bins

## demo: build, start the emulator, init/plan/apply/plan/destroy examples/quickstart, stop the emulator
demo: build
	scripts/demo.sh

## test: every test, including the acceptance tests that drive the real terraform CLI
test:
	$(CARGO) test --locked --all-targets

## lint: the formatting and clippy gates CI runs
lint: fmt clippy

fmt:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --locked --all-targets -- -D warnings

clean:
	$(CARGO) clean
	rm -rf .demo
