# Two commands for a fresh machine: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test venv test-venv system-deps soak bench lint clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.run-deps: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.test-deps: requirements.txt requirements-test.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-test.txt
	touch $(VENV)/.run-deps $@

venv: $(VENV)/.run-deps
test-venv: $(VENV)/.test-deps

## Start the whole app offline in paper mode: dashboard on http://127.0.0.1:8050
run: venv
	$(BIN)/python app.py

## Debian packages the suite drives for real: chromium for the browser tests (never a
## downloaded browser) and postgresql, from which the store tests start a throwaway cluster.
system-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "missing Debian packages:$$missing (sudo apt-get install$$missing)"; fi; fi

## Set up and run the whole suite.
test: test-venv system-deps
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

soak: test-venv
	$(BIN)/python -m bench.soak --entries 10000 --fault-rate 0.05 --monitor-interval 10 --json bench/out/soak.json

bench: test-venv
	$(BIN)/python bench/paper_throughput.py

lint: test-venv
	$(BIN)/ruff check .
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
