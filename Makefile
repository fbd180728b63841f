# The two set-up commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run test lint typecheck pytest bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

# The app and a worker (timers, correlation, the outbox: mail into var/mail/ unless ORDERLOOM_SMTP_URL is
# set), each its own process; Ctrl-C stops both.
run: $(VENV)/.installed
	$(BIN)/orderloom db upgrade
	$(BIN)/orderloom demo --if-empty
	$(BIN)/orderloom run --host $(HOST) --port $(PORT)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy --strict engine plugins

pytest: $(VENV)/.installed-dev
	bash scripts/test-deps.sh
	$(BIN)/pytest -n auto

test: lint typecheck pytest

# Each bench prints one JSON line. The last, my work, the list and the search at 1,000,000 orders on SQLite
# and on a throw-away PostgreSQL server, takes the longest: some twenty minutes on two cores, most of it
# making the orders.
bench: $(VENV)/.installed-dev
	$(BIN)/python bench/lifecycle.py --orders 2000 --repeat 5
	$(BIN)/python bench/rules.py
	$(BIN)/python bench/forms.py
	$(BIN)/python bench/pages.py
	$(BIN)/python bench/diagram.py
	$(BIN)/python bench/studio.py
	$(BIN)/python bench/facts.py --orders 1000000
	$(BIN)/python bench/order_links.py --orders 1000000
	$(BIN)/python bench/workspace.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
