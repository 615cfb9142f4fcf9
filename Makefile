# Two entry points (see README): `make reproduce` (the main job) and `make test`.
# Both create .venv with the pinned dependencies on a fresh machine with Python 3.11 and pip.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= out
STAMP  := $(VENV)/.edgelab-installed

.PHONY: venv reproduce reproduce-full test test-fast lint bench clean

$(STAMP): pyproject.toml requirements.txt requirements-test.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -r requirements-test.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

## The main job: re-run every chapter in quick mode and regenerate the tables into $(OUT)/.
reproduce: $(STAMP)
	$(BIN)/edgelab reproduce --quick --out $(OUT)

## The nightly: full mode.
reproduce-full: $(STAMP)
	$(BIN)/edgelab reproduce --full --out $(OUT)

## The whole test suite, notebooks included, and the linter.
test: $(STAMP)
	$(BIN)/ruff check edgelab tests tools
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check edgelab tests tools

## Printed benchmarks (ratios, not timed tests).
bench: $(STAMP)
	$(BIN)/python tests/benchmarks/bench_calibrate.py

clean:
	rm -rf $(VENV) $(OUT) edgelab-out .pytest_cache .ruff_cache
