# Set-up and the two jobs. Everything installs from this project's own files.
VENV ?= .venv
PYTHON ?= python3
OUT ?= out

.PHONY: book test test-fast lint clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@

## book: build the outcome framework from the built-in synthetic data into $(OUT)/
book: $(VENV)/.installed
	$(VENV)/bin/outcomes run --out $(OUT)

## test: lint and run every test
test: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/pytest

## test-fast: the quick loop while editing: lint, and every test but the slow, Spark and browser ones
test-fast: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest -m "not slow and not spark and not browser"

clean:
	rm -rf $(OUT) book/_build
