# wirecrawl: every target sets up .venv first (fast when nothing changed).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DB     ?= data/wirecrawl.db
PORT   ?= 8001

.PHONY: install demo test lint serve bench clean

install: $(STAMP)

# Re-install only when the dependency list or the pins change.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

demo: install
	$(BIN)/python -m wirecrawl.demo --db $(DB)

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check wirecrawl tests
	$(BIN)/ruff format --check wirecrawl tests
	$(BIN)/mypy

serve: install
	$(BIN)/datasette serve $(DB) --host 127.0.0.1 --port $(PORT)

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache
