# arb — the README's commands. Every target creates/reuses .venv, so a fresh machine needs only python3.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck bench chaos clean venv lock native

venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || { echo "make: creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	@echo "make: installing arb and its dependencies into $(VENV) (about a minute the first time; pip is quiet)"
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	@echo "make: pinned to the tested versions in constraints.txt (regenerate with: make lock)"
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev,scale,ray]'
	@touch $(STAMP)
	@echo "make: ready: $(BIN)/arb --help"

# the evaluator's modules compiled by mypyc from the same source (arb/native.py); a no-op when this source's
# build exists; if it cannot be built (no C compiler) arb runs them as pure Python, with the same results
native: $(STAMP)
	@$(BIN)/python -m arb.native_build || echo "make: going on with the pure Python evaluator"

demo: native
	$(BIN)/arb demo

# FORMATTED lists what `ruff format --check` enforces
FORMATTED := arb exchanges tests bench

test: native
	$(BIN)/ruff check arb exchanges tests bench
	$(BIN)/ruff format --check $(FORMATTED)
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -n auto --maxprocesses 2

lint: $(STAMP)
	$(BIN)/ruff check arb exchanges tests bench
	$(BIN)/ruff format --check $(FORMATTED)

typecheck: $(STAMP)
	$(BIN)/mypy

bench: native
	$(BIN)/python -m bench

# the chaos test scaled up: 24 SIGKILLs of a live arb run against faulty loopback venues, then the audit
chaos: native
	CHAOS_KILLS=$${CHAOS_KILLS:-24} CHAOS_SECONDS=$${CHAOS_SECONDS:-10} $(BIN)/python -m pytest -q -s -p no:cacheprovider tests/integration/test_chaos.py

# re-pin constraints.txt to what .venv holds. After changing dependencies in pyproject.toml:
# .venv/bin/pip install -e '.[dev]' (add -U to move to newer versions), make test, then make lock
lock:
	@{ echo "# Tested dependency versions; the Makefile installs with pip -c constraints.txt."; \
	   echo "# Regenerate after changing dependencies: make lock (pip freeze --exclude-editable of .venv)"; \
	   $(BIN)/python -m pip freeze --exclude-editable --disable-pip-version-check; } > constraints.txt
	@echo "make: wrote constraints.txt"

clean:
	rm -rf $(VENV) build/native .pytest_cache .ruff_cache .hypothesis
