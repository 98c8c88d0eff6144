# Two commands set everything up on a fresh machine: `make test` and `make demo`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test lint typecheck unit demo emulator format clean bench bench-quick integration_tests live

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[all,dev]'
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest -q

test: lint typecheck unit

integration_tests: $(STAMP)
	$(BIN)/python -m pytest -q tests/integration_tests tests/integration

live: $(STAMP)
	$(BIN)/python -m pytest -q -m live tests/live

format: $(STAMP)
	$(BIN)/ruff format cometgemini
	$(BIN)/ruff check --fix .

emulator: $(STAMP)
	$(BIN)/python -m cometgemini.emulator --port 8787

demo: $(STAMP)
	$(BIN)/python examples/demo.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache build dist *.egg-info

# Benchmarks run in their own venv (bench/.venv) so the incumbents never touch the test environment.
BENCH_PY := bench/.venv/bin/python
$(BENCH_PY): bench/requirements.txt pyproject.toml bench/setup_venv.sh
	bash bench/setup_venv.sh
	touch $@

.PHONY: bench-venv bench-async bench-profile
bench-venv: $(BENCH_PY)

bench: $(BENCH_PY)
	$(BENCH_PY) bench/run.py --json bench/results.json --chart bench/ratios.png

bench-async: $(BENCH_PY)
	$(BENCH_PY) bench/run.py --only async --async-reps 5 --json bench/results-async.json

bench-quick: $(STAMP)
	$(BIN)/python bench/run.py --quick

bench-profile: $(BENCH_PY)
	$(BENCH_PY) bench/micro.py
	$(BENCH_PY) bench/profile_ours.py
