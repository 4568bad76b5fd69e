# Two commands set everything up on a fresh machine:  make book  and  make test.
# Dependencies are pinned in requirements.lock (generated from pyproject.toml by `make lock`);
# environment.yml carries the same pins for conda and Binder users.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# cffconvert pins jsonschema<4, which frictionless cannot share: it gets a small venv of its own.
CFF_VENV  := .venv-cffconvert
CFF_STAMP := $(CFF_VENV)/.installed
JOBS   ?=

.PHONY: help install js-deps browser-deps validate run book pdf test test-suite test-setup test-fast test-fast-setup explore lock clean release

help:
	@echo "make book      build the HTML book into _build/html (sets up .venv on first use)"
	@echo "make test      run every test (what CI runs): make lint, every pytest tier and nbval (9 to 10 minutes on two cores)"
	@echo "make lint      lint-imports (the layers, notebooks included), ruff and mypy"
	@echo "make test-fast unit tests and small fixture projects: no real book, browser or PDF (about 2 minutes)"
	@echo "make pdf       the book, a two-page briefing per ward and a one-page profile per atlas ward as PDF into _build/pdf"
	@echo "make explore   JupyterLab on 127.0.0.1 with the three teaching explorers (widgets on)"
	@echo "make validate  check params, templates and data files"
	@echo "make release VERSION=x.y.z  set the version and date everywhere, commit, build, gather _build/release/x.y.z"
	@echo "make lock      re-pin dependencies from pyproject.toml and refresh environment.yml"
	@echo "make clean     remove generated chapters and the built book"

# Bytecode: make clears PYTHONDONTWRITEBYTECODE (our machines set it to 1) for every process it starts, so
# Python writes the .pyc of each module it compiles into the __pycache__ beside it (in .venv/ and src/,
# ignored by git): a module is compiled once, when first imported, not at install. The environment holds
# about 13,000 modules, of which `make test` imports about 4,800 (benchmarks/README.md, "Stop 39": about
# 30 CPU s less before the first test). With the variable set and nothing compiled, each of the hundreds
# of processes of a build or a test run (kernels, the render, test workers) would compile every module it
# imports, and each chapter kernel the package again for each notebook (it unloads it between notebooks).
export PYTHONDONTWRITEBYTECODE =

# uv (pinned with hashes in requirements-uv.lock, installed by pip) installs the lock: the same pins and
# hashes as pip would take, fetched in parallel, in a few seconds instead of about 65 on a fresh clone
# (benchmarks/README.md).
UV_INSTALL := $(BIN)/uv pip install --quiet --python $(BIN)/python
$(STAMP): requirements.lock requirements-uv.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-uv.lock
	$(UV_INSTALL) --require-hashes -r requirements.lock
	$(UV_INSTALL) --no-deps -e .
	@touch $(STAMP)

$(CFF_STAMP): requirements-cffconvert.lock
	@test -x $(CFF_VENV)/bin/python || $(PYTHON) -m venv $(CFF_VENV)
	$(CFF_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-cffconvert.lock
	@touch $(CFF_STAMP)

install: $(STAMP)

# The book's explorers draw with Vega (their charts compiled from Vega-Lite at build time), and the
# accessibility tests use axe-core: npm packages pinned in package-lock.json (npm registry only),
# installed again when the lock changes. The book build copies Vega into _static and compiles the
# charts (cityconv.chapters.teaching_book). Only the dependencies: the one dev dependency, Lighthouse
# (226 MB with its own, against 55), is for benchmarks/page_weight.py --lighthouse, which says how to add it.
NODE_STAMP := node_modules/.cityconv-installed
js-deps:
	@if ! command -v npm >/dev/null; then \
		echo "note: npm not found: the book's explorers cannot be built and accessibility tests will skip"; \
	elif [ ! -f $(NODE_STAMP) ] || [ package-lock.json -nt $(NODE_STAMP) ]; then \
		npm ci --omit=dev --no-audit --no-fund --silent && touch $(NODE_STAMP); fi

# Browser tests and the PDF use Debian's Chromium (never a downloaded browser build), pdftotext
# from poppler-utils, and axe-core from npm. Installed when this user can; otherwise those tests
# skip with the reason shown (CI sets CITYCONV_REQUIRE_BROWSER=1, which turns a skip into a failure).
browser-deps: js-deps
	@if command -v chromium >/dev/null && command -v pdftotext >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			chromium poppler-utils >/dev/null; \
	else echo "note: Chromium/poppler-utils not installed (needs root and apt-get): browser and PDF tests will skip"; fi

validate: install
	$(BIN)/cityconv validate

run: install
	$(BIN)/cityconv run $(if $(JOBS),--jobs $(JOBS))

book: install js-deps
	$(BIN)/cityconv build $(if $(JOBS),--jobs $(JOBS))

pdf: install browser-deps
	$(BIN)/cityconv pdf $(if $(JOBS),--jobs $(JOBS))

# Test tiers (markers in pyproject.toml). The default pytest selection is the fast tier; `make test`
# selects every tier with -m "" and adds nbval on one template opened outside a pipeline run, in the same
# session (`--dist loadfile` keeps a notebook's cells on one worker, in one kernel; the session's
# real-book build stands in for nbval over the others: tests/realbook/test_real_book_runs.py).
# TEST_WORKERS: pytest-xdist workers for `make test` and `make test-fast`. Three on two cores: many tests
# wait (servers, signals, a browser's network going quiet), and a third worker fills those waits
# (benchmarks/README.md, "Stop 38": 9 min 12 s against 9 min 38 s with two, on the same host).
TEST_WORKERS ?= 3
# The set-up steps are independent and mostly wait on the package registries, so they run side by side;
# so do the three static checks (`lint`). Only here: `make release` runs `book` and `pdf` in order, so the
# Makefile as a whole stays serial.
test-setup:
	@$(MAKE) --no-print-directory -j3 $(STAMP) $(CFF_STAMP) browser-deps
test-fast-setup:
	@$(MAKE) --no-print-directory -j2 $(STAMP) $(CFF_STAMP)
NBVAL_TEMPLATES := notebooks/00-executive-summary.ipynb
LINTERS := lint-imports ruff mypy
.PHONY: lint $(LINTERS)
lint: install
	@$(MAKE) --no-print-directory -j3 --output-sync=target $(LINTERS)
lint-imports:
	$(BIN)/lint-imports
ruff:
	$(BIN)/ruff check src tests
mypy:
	$(BIN)/mypy src
# The static checks run beside the suite: mypy alone takes about 9 s of one core on a fresh clone, while
# the suite's workers start and collect on the other. A failed check fails `make test` when the suite ends.
test: test-setup
	@$(MAKE) --no-print-directory -j2 lint test-suite
test-suite:
	$(BIN)/python -m pytest -m "" -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder \
		tests $(NBVAL_TEMPLATES) --nbval-lax --nbval-current-env

test-fast: test-fast-setup
	$(BIN)/python -m pytest -n $(TEST_WORKERS) tests

# Live mode for a class: JupyterLab from the pinned .venv, on this machine only (127.0.0.1), with
# working copies of the explorer notebooks (a copy is made once, so a teacher's edits survive and
# the templates stay clean). The notebooks' `interactive = "auto"` builds the widgets in JupyterLab.
# (--allow-root only when run as root, e.g. in a container.)
EXPLORE_DIR  ?= _build/explore
EXPLORE_PORT ?= 8888
EXPLORERS    := $(wildcard notebooks/4[0-9]-*-explorer.ipynb)
explore: install
	@mkdir -p "$(EXPLORE_DIR)"
	@for nb in $(EXPLORERS); do [ -f "$(EXPLORE_DIR)/$$(basename $$nb)" ] || cp "$$nb" "$(EXPLORE_DIR)/"; done
	@echo "Starting JupyterLab for the explorers in $(EXPLORE_DIR) at http://127.0.0.1:$(EXPLORE_PORT)/lab"
	@echo "(open the address with its token, printed below; stop with Ctrl-C)"
	CITYCONV_ROOT="$(CURDIR)" exec $(BIN)/jupyter lab --no-browser --ServerApp.ip=127.0.0.1 \
		--ServerApp.port=$(EXPLORE_PORT) --ServerApp.port_retries=0 --ServerApp.root_dir="$(EXPLORE_DIR)" \
		--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate --LabApp.news_url=None \
		--LabApp.extension_manager=readonly $(if $(filter 0,$(shell id -u)),--allow-root)

# A release (tools/release.py): refuse a dirty tree, set the version and date everywhere, move the
# changelog's Unreleased section, commit; then build the book and PDFs (make again, so the package is
# reinstalled with the new version) and gather them with the source archive into _build/release/VERSION/.
release: install
	@test -n "$(VERSION)" || { echo "make release: say which version, e.g. make release VERSION=0.2.0"; exit 2; }
	$(BIN)/python tools/release.py prepare $(VERSION)
	$(MAKE) book pdf
	$(BIN)/python tools/release.py collect $(VERSION)

lock: install
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes \
		--no-header --quiet -o requirements.lock
	echo "cffconvert==2.0.0" | $(BIN)/uv pip compile - --python-version 3.11 --generate-hashes \
		--no-header --quiet -o requirements-cffconvert.lock
	echo "uv==$$($(BIN)/uv --version | cut -d' ' -f2)" | $(BIN)/uv pip compile - --python-version 3.11 \
		--generate-hashes --no-header --quiet -o requirements-uv.lock
	$(BIN)/python tools/write_environment_yml.py

clean:
	rm -rf _build book/generated
