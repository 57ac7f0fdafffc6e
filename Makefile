# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
UV ?= $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup serve-setup run demo test lint typecheck unit doctest clean

NEED_UV = command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv

# Everything, test and lint tools included (make test).
$(VENV)/.synced-dev: pyproject.toml uv.lock
	@$(NEED_UV)
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

# What serving needs and no more (make run); --inexact keeps tools a developer already has.
$(VENV)/.synced-run: pyproject.toml uv.lock
	@$(NEED_UV)
	$(UV) sync --frozen --no-dev --inexact --python $(PYTHON)
	@touch $@

setup: $(VENV)/.synced-dev

serve-setup: $(VENV)/.synced-run

run: serve-setup
	$(BIN)/spinefx directory demo
	$(BIN)/spinefx registry demo
	$(BIN)/spinefx serve --host $(HOST) --port $(PORT)

demo: serve-setup
	$(BIN)/spinefx demo

lint: setup
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts

typecheck: setup
	$(BIN)/mypy

unit: setup
	$(BIN)/pytest

# The examples in the package's docstrings, run as they are written.
doctest: setup
	$(BIN)/pytest --doctest-modules src/spinefx -q -p no:cacheprovider \
		--ignore=src/spinefx/registry/migrations

test: lint typecheck unit doctest

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
