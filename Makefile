# Qualify. Every target installs from the hashed lock files in requirements/.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install install-test demo serve test test-postgres lint format bench screenshots mutate clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The project's own modules are compiled too: where PYTHONDONTWRITEBYTECODE is set (as on
# the CI machines) nothing imported is ever cached, and each of the ~150 Python processes
# of a CI run compiled them again (0.4 s a start-up of Django and the URLs). A module
# edited since is compiled as before: Python checks each cached file against its source.
COMPILE := $(BIN)/python -m compileall -q

$(VENV)/.installed-base: requirements/base.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements/base.txt
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	$(COMPILE) qualify >/dev/null
	touch $@

$(VENV)/.installed-test: requirements/test.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements/test.txt
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	$(COMPILE) qualify tests bench >/dev/null
	touch $(VENV)/.installed-base $@

install: $(VENV)/.installed-base

install-test: $(VENV)/.installed-test

demo: install
	$(BIN)/qualify migrate --no-input
	$(BIN)/qualify seed --scale demo --if-empty
	$(BIN)/qualify demo_logins --url http://$(HOST):$(PORT)/
	QUALIFY_DEBUG=$${QUALIFY_DEBUG:-true} $(BIN)/qualify runserver $(HOST):$(PORT) --insecure

serve: install
	$(BIN)/qualify migrate --no-input
	$(BIN)/qualify collectstatic --no-input
	$(BIN)/gunicorn qualify.wsgi --bind $(HOST):$(PORT) --workers 2 --no-control-socket

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The suite on PostgreSQL (browser journeys run on their own SQLite copy of the demo).
PG_URL ?= postgres://postgres@127.0.0.1:5432/qualify_test
test-postgres: $(VENV)/.installed-test
	QUALIFY_DATABASE_URL=$(PG_URL) $(BIN)/python -m pytest --create-db -m 'not browser' $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(VENV)/.installed-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(VENV)/.installed-test
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# Mutation testing of the safety-critical modules ([tool.mutmut] in pyproject.toml); not
# in CI. MUTANTS narrows the run, e.g. MUTANTS='qualify.audit.verify*'. See docs/testing.md.
mutate: $(VENV)/.installed-test
	$(BIN)/mutmut run $(MUTANTS)
	$(BIN)/mutmut results

screenshots: $(VENV)/.installed-test
	$(BIN)/python -m pytest tests/browser/test_screenshots.py -m screenshots --screenshots

clean:
	rm -rf $(VENV) var/test-*
