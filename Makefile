# The README's commands. Every target installs what it needs from the project's own files.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# This host disables bytecode writing; a cache outside the venv cuts Airflow's import time ~3x.
export PYTHONPYCACHEPREFIX := $(CURDIR)/.cache/pycache
unexport PYTHONDONTWRITEBYTECODE
export UV_LINK_MODE := copy

UV := $(or $(shell command -v uv 2>/dev/null),$(HOME)/.local/bin/uv)
RUN := $(UV) run --frozen
SCENARIO ?= healthy
DATE ?=

.PHONY: help venv demo test lint format airflow bench clean

help:
	@echo "make demo [SCENARIO=healthy|whatsapp_outage] [DATE=YYYY-MM-DD]   simulate a whole delivery day"
	@echo "               (full log: build/demo-<date>-<scenario>.log; scenarios: delivery-window demo --help)"
	@echo "make test      all tests (dags, unit, integration on real Postgres, e2e with dag.test())"
	@echo "make airflow [SCENARIO=...]   Airflow UI on http://127.0.0.1:8080, login admin / admin, wired to the"
	@echo "               sandbox (metadata on Postgres; standalone's output: build/airflow-standalone.log)"
	@echo "make lint      ruff check + format check"
	@echo "make bench     benchmarks under bench/ (printed figures)"

$(UV):
	python3 -m pip install --quiet --user uv || python3 -m pip install --quiet uv

.venv/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen
	@touch $@

venv: .venv/.synced

demo: venv
	$(RUN) delivery-window demo --scenario $(SCENARIO) $(if $(DATE),--date $(DATE))

test: venv
	$(RUN) pytest

lint: venv
	$(RUN) ruff check .
	$(RUN) ruff format --check .

format: venv
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

airflow: venv
	$(RUN) delivery-window airflow --scenario $(SCENARIO)

bench: venv
	@for b in bench/*.py; do echo "== $$b"; $(RUN) python $$b || exit 1; done

clean:
	rm -rf .cache build
