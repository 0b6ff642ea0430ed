# Two commands for a fresh machine with Python >= 3.11:
#   make run    install into .venv and run the daily flow on the embedded defaults
#   make test   install into .venv and run the test suite

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ARGS ?= --securities 1000 --years 5

.PHONY: install run test bench docs clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/argus run

test: $(STAMP)
	$(BIN)/python -m pytest

# make bench ARGS="--securities 1000 --years 5"
bench: $(STAMP)
	$(BIN)/argus bench $(ARGS)

docs: $(STAMP)
	eval "$$($(BIN)/argus db env)" && cd dbt_project && dbt docs generate

clean:
	rm -rf $(VENV) .argus dbt_project/target dbt_project/logs
