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

.PHONY: help install browser-deps validate run book pdf test lock clean

help:
	@echo "make book      build the HTML book into _build/html (sets up .venv on first use)"
	@echo "make test      run every test: unit tests, nbval over notebooks/, end-to-end fixture build"
	@echo "make pdf       the whole book and a briefing per ward as PDF into _build/pdf (Chromium)"
	@echo "make validate  check params, templates and data files"
	@echo "make lock      re-pin dependencies from pyproject.toml and refresh environment.yml"
	@echo "make clean     remove generated chapters and the built book"

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

$(CFF_STAMP): requirements-cffconvert.lock
	@test -x $(CFF_VENV)/bin/python || $(PYTHON) -m venv $(CFF_VENV)
	$(CFF_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-cffconvert.lock
	@touch $(CFF_STAMP)

install: $(STAMP)

# Browser tests and the PDF use Debian's Chromium (never a downloaded browser build), pdftotext
# from poppler-utils, and axe-core from npm. Installed when this user can; otherwise those tests
# skip with the reason shown (CI sets CITYCONV_REQUIRE_BROWSER=1, which turns a skip into a failure).
browser-deps:
	@if command -v chromium >/dev/null && command -v pdftotext >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			chromium poppler-utils >/dev/null; \
	else echo "note: Chromium/poppler-utils not installed (needs root and apt-get): browser and PDF tests will skip"; fi
	@if [ -f package-lock.json ] && command -v npm >/dev/null; then \
		[ -f node_modules/axe-core/axe.min.js ] || npm ci --no-audit --no-fund --silent; \
	else echo "note: npm not found: accessibility tests will skip"; fi

validate: install
	$(BIN)/cityconv validate

run: install
	$(BIN)/cityconv run $(if $(JOBS),--jobs $(JOBS))

book: install
	$(BIN)/cityconv build $(if $(JOBS),--jobs $(JOBS))

pdf: install browser-deps
	$(BIN)/cityconv pdf $(if $(JOBS),--jobs $(JOBS))

test: install $(CFF_STAMP) browser-deps
	$(BIN)/lint-imports
	$(BIN)/python -m pytest tests notebooks --nbval-lax --nbval-current-env

lock: install
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==0.13.9"
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes \
		--no-header --quiet -o requirements.lock
	echo "cffconvert==2.0.0" | $(BIN)/uv pip compile - --python-version 3.11 --generate-hashes \
		--no-header --quiet -o requirements-cffconvert.lock
	$(BIN)/python tools/write_environment_yml.py

clean:
	rm -rf _build book/generated
