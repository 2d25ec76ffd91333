# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python

.PHONY: run test lint format install install-dev translations i18n-update migrate sandbox check bench clean

run: install translations migrate  ## install, compile translations, migrate, start the bot (sandbox without a token)
	$(PY) -m bot run

TEST_JOBS ?= auto
test: install-dev translations  ## install the development extras and run the whole suite (on every core)
	$(PY) -m pytest -q -n $(TEST_JOBS) $(PYTEST_ARGS)

lint: install-dev  ## the gates CI runs before the suites: ruff (lint and format) and mypy (strict)
	$(BIN)/ruff check bot tests bench tools
	$(BIN)/ruff format --check bot tests bench tools
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

format: install-dev  ## fix what ruff can fix, and format
	$(BIN)/ruff check --fix bot tests bench tools
	$(BIN)/ruff format bot tests bench tools

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

translations: install  ## compile gettext catalogs (.po -> .mo)
	$(PY) -m babel.messages.frontend compile -d bot/locales -D messages --statistics

i18n-update: install  ## extract messages and merge them into every catalog
	$(PY) tools/i18n.py update

migrate: install
	$(PY) -m bot db upgrade

check: install  ## validate every content file
	$(PY) -m bot content check

bench: install-dev translations  ## the guide and quiz benchmarks on SQLite (one JSON line each)
	$(PY) -m bench.updates
	$(PY) -m bench.quiz

clean:
	rm -rf $(VENV) .pytest_cache
