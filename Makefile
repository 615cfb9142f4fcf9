# Two entry points (see README): `make reproduce` (the main job) and `make test`.
# Both create .venv with the pinned dependencies on a fresh machine with Python 3.11 and pip.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= out
# The main job installs the runtime only (requirements.txt); the tests add their own stack
# (requirements-test.txt: pytest, ruff, JupyterLab, Playwright, Flower with Ray) on top, with the
# book's tools (requirements-book.txt: Sphinx, MyST-NB, JupyterLite), whose site the tests open.
RUNTIME := $(VENV)/.edgelab-runtime
TESTS   := $(VENV)/.edgelab-tests
# `make book`: the runtime plus the book's tools (requirements-book.txt), without the test stack.
BOOK    := $(VENV)/.edgelab-book

.PHONY: venv venv-test reproduce reproduce-full book test test-fast lint bench clean

$(RUNTIME): pyproject.toml requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(RUNTIME)

$(TESTS): $(RUNTIME) requirements-test.txt requirements-book.txt
	$(BIN)/python -m pip install --quiet -r requirements.txt -r requirements-test.txt -r requirements-book.txt
	touch $(TESTS)

$(BOOK): $(RUNTIME) requirements-book.txt
	$(BIN)/python -m pip install --quiet -r requirements.txt -r requirements-book.txt
	touch $(BOOK)

venv: $(RUNTIME)

venv-test: $(TESTS)

## The main job: re-run every chapter in quick mode and regenerate the tables into $(OUT)/.
reproduce: $(RUNTIME)
	$(BIN)/edgelab reproduce --quick --out $(OUT)

## The book: the quick run (chapters whose inputs did not change are skipped), then the site
## into $(OUT)/site and the JupyterLite bundle of the torch-free chapters into $(OUT)/site/lite
## (Pyodide's core from npm: needs npm). Open it with
## `python -m http.server -d $(OUT)/site --bind 127.0.0.1`.
book: $(BOOK)
	$(BIN)/edgelab reproduce --quick --resume --out $(OUT)
	$(BIN)/edgelab book --runs $(OUT) --out $(OUT)/site
	$(BIN)/edgelab lite --out $(OUT)/site/lite

## The nightly: full mode.
reproduce-full: $(RUNTIME)
	$(BIN)/edgelab reproduce --full --out $(OUT)

## The whole test suite, notebooks included, and the linter.
test: $(TESTS)
	$(BIN)/ruff check edgelab tests
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q -m "not online"
	$(BIN)/python -m pytest -q -p no:cacheprovider --nbval-lax --nbval-current-env \
	    --nbval-cell-timeout 300 --nbval-sanitize-with tests/golden/sanitize.cfg tests/golden

lint: $(TESTS)
	$(BIN)/ruff check edgelab tests

## Printed benchmarks (ratios, not timed tests).
bench: $(TESTS)
	$(BIN)/python tests/benchmarks/bench_calibrate.py
	$(BIN)/python tests/benchmarks/bench_validate.py
	$(BIN)/python tests/benchmarks/bench_compression.py
	$(BIN)/python tests/benchmarks/bench_fedavg_compressed.py

clean:
	rm -rf $(VENV) $(OUT) edgelab-out .pytest_cache .ruff_cache
