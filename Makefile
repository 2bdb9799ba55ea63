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

# The datasette tests drive Debian's headless Chromium: installed here where it is missing.
test: install
	bash scripts/ensure-chromium.sh
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check wirecrawl tests bench
	$(BIN)/ruff format --check wirecrawl tests bench
	$(BIN)/mypy

# Browse the archive: read-only, on 127.0.0.1 only, no --cors, SQL stopped after 1 s; the
# metadata, queries, timeline, story page and styles are in wirecrawl/datasette/. Suggested
# facets are off: datasette computes them on every request, most of a search's time on a
# large archive (docs/benchmarks.md); the stories page's facets are one link away.
serve: install
	$(BIN)/datasette serve $(DB) --host 127.0.0.1 --port $(PORT) \
		--metadata wirecrawl/datasette/metadata.yaml \
		--plugins-dir wirecrawl/datasette/plugins \
		--template-dir wirecrawl/datasette/templates \
		--static assets:wirecrawl/datasette/static \
		--setting sql_time_limit_ms 1000 --setting truncate_cells_html 700 \
		--setting suggest_facets off

# The crawler measured against its goals on a generated imitation of the site, served on
# 127.0.0.1 (a few minutes; BENCH_SCALE=0.05 for a quick run): prints the table and writes it
# to docs/benchmarks.md. Installs the bench extra (trafilatura, profilers) first.
bench: install
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev,bench]'
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache
