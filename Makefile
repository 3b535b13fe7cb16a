# The same commands CI runs (.ci/run calls `make test`).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test lint fmt clean snapshot variants bench bench-quick docs

# Set-up: a virtualenv with the project and its dev extras, redone when pyproject.toml changes.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/stdnews demo

# Three processes on two cores (pytest-xdist): the tests mostly wait on the crawls, servers and
# browsers they start. Grouped by module and class so a module's fixtures are built once per
# process, the longest first (tests/conftest.py's RUN_FIRST). `make test PYTEST_WORKERS=0`
# runs in one.
PYTEST_WORKERS ?= 3
test: $(STAMP) lint
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadscope --no-loadscope-reorder

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Benchmarks (bench/): figures and targets in bench/results.json and a table; see
# docs/performance.md.
bench: $(STAMP)
	$(BIN)/python bench/run.py

bench-quick: $(STAMP)
	$(BIN)/python bench/run.py --quick

fmt: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Regenerate data/snapshot/ from tools/snapshot/ (posts as YAML, page templates per site).
snapshot: $(STAMP)
	$(BIN)/python tools/build_snapshot.py

# Regenerate data/variants/: the snapshot's discovery pages in other themes of the same CMS
# (tests/test_variants.py crawls them laid over the snapshot).
variants: $(STAMP)
	$(BIN)/python tools/build_variants.py

# Regenerate docs/cli.md from the commands' --help and pipeline/verdicts.py (tests/test_docs.py
# fails when it is stale).
docs: $(STAMP)
	$(BIN)/python tools/cli_docs.py

clean:
	rm -rf $(VENV) build *.egg-info
