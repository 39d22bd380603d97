# arb — the README's commands. Every target creates/reuses .venv, so a fresh machine needs only python3.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench chaos clean venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || { echo "make: creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	@echo "make: installing arb and its dependencies into $(VENV) (about a minute the first time; pip is quiet)"
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)
	@echo "make: ready: $(BIN)/arb --help"

demo: $(STAMP)
	$(BIN)/arb demo

test: $(STAMP)
	$(BIN)/ruff check arb exchanges tests bench
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check arb exchanges tests bench
	$(BIN)/ruff format --check arb exchanges tests bench || true

bench: $(STAMP)
	$(BIN)/python -m bench

# the chaos test scaled up: 24 SIGKILLs of a live arb run against faulty loopback venues, then the audit
chaos: $(STAMP)
	CHAOS_KILLS=$${CHAOS_KILLS:-24} CHAOS_SECONDS=$${CHAOS_SECONDS:-10} $(BIN)/python -m pytest -q -s -p no:cacheprovider tests/integration/test_chaos.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
