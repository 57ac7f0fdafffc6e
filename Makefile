# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

# uv from PATH; without one, uv is installed with pip into a venv of its own (.uv/), never into
# $(PYTHON) itself: Debian's Python refuses pip outside a venv (PEP 668).
UV_VENV := .uv
UV ?= $(shell command -v uv 2>/dev/null || echo $(UV_VENV)/bin/uv)
NEED_UV := $(if $(filter $(UV_VENV)/bin/uv,$(UV)),$(UV_VENV)/bin/uv)

.PHONY: setup serve-setup run demo test lint typecheck unit doctest wheel-check clean

$(UV_VENV)/bin/uv:
	$(PYTHON) -m venv $(UV_VENV)
	$(UV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check uv

# Everything, every extra and the test and lint tools included (make test).
$(VENV)/.synced-dev: pyproject.toml uv.lock | $(NEED_UV)
	$(UV) sync --frozen --all-extras --python $(PYTHON)
	@touch $@

# What serving needs, every extra, no dev tools (make run); --inexact keeps tools a developer
# already has.
$(VENV)/.synced-run: pyproject.toml uv.lock | $(NEED_UV)
	$(UV) sync --frozen --all-extras --no-dev --inexact --python $(PYTHON)
	@touch $@

setup: $(VENV)/.synced-dev

serve-setup: $(VENV)/.synced-run

run: serve-setup
	$(BIN)/spinefx directory demo
	SPINEFX_HOST=$(HOST) SPINEFX_PORT=$(PORT) $(BIN)/spinefx registry demo
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

# The built wheel and sdist, installed with plain pip into fresh venvs (core, then [all]), each
# command run against them (.ci/wheel; CI runs it after make test).
wheel-check: | $(NEED_UV)
	UV=$(UV) PYTHON=$(PYTHON) .ci/wheel

clean:
	rm -rf $(VENV) $(UV_VENV) .pytest_cache .mypy_cache .ruff_cache
