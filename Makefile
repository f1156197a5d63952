# Two commands for a fresh machine: `make test` (everything, installed as needed) and `make run`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Python 3.13 (the Lambda runtime) where it can be found, else the python3 on PATH (3.11+).
PYTHON ?= $(shell for p in $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.13*/bin/python3.13 2>/dev/null) \
	$$(command -v python3.13) $$(command -v python3); do \
	"$$p" -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null && { echo "$$p"; break; }; done)
VENV := .venv
SAM_VENV := .venv-sam
# Compiled bytecode of every module (the venvs' and this repository's) in one folder outside the
# source tree (sam build hashes the functions' folders). A machine that sets PYTHONDONTWRITEBYTECODE,
# as CI's does, otherwise compiles each module afresh in every process: the moto servers, the
# functions' environments, each CLI run (uv installs no bytecode): a tenth of make test's CPU.
unexport PYTHONDONTWRITEBYTECODE
export PYTHONPYCACHEPREFIX := $(CURDIR)/.pycache
PY := $(VENV)/bin/python
# Two install sets in .venv, each pinned by a lock file (`make update` refreshes them; see docs/fast-setup.md):
# what serving needs (`make run`: the layer, moto's server, the packs, the CLI) and, on top, the
# development tools (`make test`, `make venv`). A stamp per set: `make run` after `make test` installs nothing.
RUN_STAMP := $(VENV)/.installed-run
STAMP := $(VENV)/.installed-dev
SAM_STAMP := $(SAM_VENV)/.installed
INSTALL := scripts/install_venv.sh
# The locks are universal (every platform, Python 3.11 and newer): the same file serves 3.13 and the 3.11 fallback.
LOCK_OPTS := --quiet --universal --python-version 3.11 --custom-compile-command "make update"
# `make update` refreshes every pin (`--upgrade`); `make lock` only re-resolves after an edit to the inputs.
UPGRADE ?= --upgrade

.PHONY: help venv update lock lint lint-fix test test-serial test-fast run docs docs-check openapi swagger-ui console-assets sam-local-env released-tables sam-check sam-local-check system-deps bench cost-table clean

help:
	@echo "make run        - the Flyte API on http://127.0.0.1:8080 (FLYTE_PORT to change) over a local moto server"
	@echo "make test       - install everything, check the SAM template and sam local, run every test"
	@echo "make sam-local-check - sam local start-lambda/start-api against moto in Docker (skipped where Docker cannot run)"
	@echo "make test-fast  - the tests only (no template check)"
	@echo "make test-serial - what make test runs, one check after another (for comparing timings)"
	@echo "make docs       - serve the docs site on http://127.0.0.1:8000 (DOCS_PORT to change), rebuilt on each edit"
	@echo "make docs-check - build the docs site strictly (broken links, missing pages, reference generation); part of make test"
	@echo "make lint       - ruff (lint + format check) and mypy; part of make test"
	@echo "make lint-fix   - apply ruff's safe fixes and format the tree"
	@echo "make openapi    - regenerate functions/info/openapi.json from the routes"
	@echo "make sam-local-env - regenerate sam-local-env.json (sam local's --env-vars) from template.yaml"
	@echo "make released-tables RELEASE=v1.2.0 - record template.yaml's tables as the release's (tests/fixtures/released-tables.json)"
	@echo "make bench      - run the benchmarks under bench/"
	@echo "make cost-table - measure AWS requests on the local stack and regenerate docs/scale.md's cost table"
	@echo "make swagger-ui - refresh the Swagger UI assets the info function serves (npm, SWAGGER_UI_VERSION)"
	@echo "make console-assets - refresh the web console's vendored Preact and htm, and the tests' axe-core (npm)"

$(RUN_STAMP): requirements-run.lock $(INSTALL)
	@echo "Installing what serving needs into $(VENV) with $(PYTHON) ($$($(PYTHON) --version 2>&1))"
	$(INSTALL) $(PYTHON) $(VENV) requirements-run.lock add
	touch $@

# sync: exactly the lock, which holds the serving set too (same pins: `make update` compiles the one under the other).
$(STAMP): requirements-dev.lock $(INSTALL)
	@echo "Installing the development tools into $(VENV) with $(PYTHON) ($$($(PYTHON) --version 2>&1))"
	$(INSTALL) $(PYTHON) $(VENV) requirements-dev.lock sync
	touch $@ $(RUN_STAMP)

venv: $(STAMP)

# The lock files from requirements-{dev,run,sam}.txt (network: PyPI). requirements-run.lock is
# constrained by requirements-dev.lock so that both sets pin the same versions.
update lock:
	@uv=$$(scripts/uv_bin.sh $(PYTHON)) || { echo "make $@ needs uv (scripts/uv_bin.sh installs it from PyPI)"; exit 1; }; set -e; \
	  upgrade=$$([ "$@" = update ] && echo "$(UPGRADE)" || true); \
	  $$uv pip compile $(LOCK_OPTS) $$upgrade requirements-dev.txt -o requirements-dev.lock; \
	  grep -v '^-e ' requirements-dev.lock > .requirements-dev.pins; \
	  $$uv pip compile $(LOCK_OPTS) $$upgrade requirements-run.txt -c .requirements-dev.pins -o requirements-run.lock; \
	  rm -f .requirements-dev.pins; \
	  $$uv pip compile $(LOCK_OPTS) $$upgrade requirements-sam.txt -o requirements-sam.lock; \
	  echo "requirements-{dev,run,sam}.lock written"

# The quick start's Shell command pipes through jq. Chromium runs the Swagger UI and the web console
# under their CSP in the tests; without it (no apt-get, not root) those tests skip and say why.
system-deps:
	@command -v jq >/dev/null || { \
	  if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq jq >/dev/null; \
	  else echo "Please install jq (e.g. sudo apt-get install jq)"; exit 1; fi; }
	@command -v chromium >/dev/null || { \
	  if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else echo "No chromium (sudo apt-get install chromium): the Swagger UI and web console browser tests will skip"; fi; }

run: $(RUN_STAMP)
	$(PY) -m flyte_local

# What mypy checks: the layer, the local stack, the packs, the CLI, every function's handler, the scripts.
# Each function's app.py is its own module `functions.<name>.app` (explicit_package_bases), so all
# eight `app` modules are checked in one run without clashing.
TYPED := layers/flyte_core/flyte_core flyte_local $(patsubst %/__init__.py,%,$(wildcard packs/*/*/__init__.py)) cli/flyte_cli $(wildcard functions/*/app.py) \
	$(wildcard scripts/*.py)

# mypy on two processes (cold, as in CI: 47 s instead of 72 s at load 17; its cache makes a second run ~2 s).
MYPY_WORKERS ?= 2
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy --num-workers $(MYPY_WORKERS) $(TYPED)

lint-fix: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Four pytest-xdist workers by default, each test module's tests together and in order on one of them
# (a module's own stack starts once; a test may read what the module's earlier tests left), the modules
# shared out in collection order: the modules marked waits_on_the_clock first (tests/conftest.py), then the
# long cli and e2e modules, the many short unit modules last to even out the end. Four on two cores
# because the e2e tests mostly wait on their stacks (clean-clone CI runs: two workers 573 s, three 510 s,
# four 467 s; 348 s since idle stacks stopped polling moto every 0.1 s). PYTEST_ARGS= runs everything
# in one process.
PYTEST_ARGS ?= -n 4 --dist loadfile --no-loadscope-reorder
# The checks side by side (docs/fast-setup.md): lint and docs-check at once (each one core), then
# pytest, and beside it sam-check followed by sam-local-check, which mostly waits on Docker; their
# output follows pytest's (a background job ignores Ctrl-C, so the trap stops it with SIGTERM, on
# which it stops its containers). Either failing fails make test; `make test-serial` runs them in turn.
# The SAM CLI's venv is installed first: a unit test runs SAM CLI's Python.
test: $(STAMP) $(SAM_STAMP) system-deps
	@$(MAKE) --no-print-directory -j2 --output-sync=target lint docs-check
	@log=$$(mktemp); \
	  echo "sam-check and sam-local-check: running beside pytest (their output below pytest's)"; \
	  ( $(MAKE) --no-print-directory sam-check && exec $(PY) scripts/sam_local_check.py ) >"$$log" 2>&1 & check=$$!; \
	  trap 'kill -TERM $$check 2>/dev/null; wait $$check; cat "$$log"; rm -f "$$log"; exit 130' INT TERM; \
	  $(PY) -m pytest $(PYTEST_ARGS); tests=$$?; \
	  wait $$check; checked=$$?; cat "$$log"; rm -f "$$log"; \
	  [ $$tests = 0 ] && [ $$checked = 0 ]

# The same checks one after another, as make test ran them before (for comparing, or a 1-core machine).
test-serial: $(STAMP) system-deps lint docs-check sam-check sam-local-check
	$(PY) -m pytest $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

# The docs site (mkdocs.yml, docs/): MkDocs and its theme are dev tools (requirements-docs.txt, in the dev
# lock); the reference pages are generated from the code by scripts/mkdocs_hooks.py as the site builds.
DOCS_PORT ?= 8000
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs serve --dev-addr 127.0.0.1:$(DOCS_PORT)

# Strict: a warning (a link to no page or anchor, a page missing from the nav, a failed reference) fails.
docs-check: $(STAMP)
	@out=$$(mktemp -d) && trap 'rm -rf "$$out"' EXIT && NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict --site-dir "$$out" && echo "docs: built strictly"

cost-table: $(STAMP)
	$(PY) bench/cost_table.py

openapi: $(STAMP)
	$(PY) -m flyte_local.openapi --write

sam-local-env: $(STAMP)
	$(PY) -m flyte_local.sam_local_env --write

# When a release is cut: its tables become what later template changes are checked against
# (tests/unit/test_table_upgrades.py: no replaced table, one global index created or deleted per update).
released-tables: $(STAMP)
	@test -n "$(RELEASE)" || { echo "usage: make released-tables RELEASE=<version or tag>"; exit 2; }
	$(PY) -m flyte_local.released_tables --write --release "$(RELEASE)"

# The Swagger UI the info function serves, kept in the repository (no build step, no CDN): the two
# files the page loads and the licence, from npm's swagger-ui-dist, without its 5 MB of source maps.
SWAGGER_UI_VERSION ?= 5.35.0
SWAGGER_UI_DIR := functions/info/swagger_ui
swagger-ui:
	@tmp=$$(mktemp -d) && cd $$tmp && npm pack --silent swagger-ui-dist@$(SWAGGER_UI_VERSION) >/dev/null && tar xzf swagger-ui-dist-*.tgz && cd - >/dev/null && \
	  mkdir -p $(SWAGGER_UI_DIR) && \
	  cp $$tmp/package/{swagger-ui-bundle.js,swagger-ui-bundle.js.LICENSE.txt,LICENSE,NOTICE,favicon-32x32.png} $(SWAGGER_UI_DIR)/ && \
	  sed '/sourceMappingURL=/d' $$tmp/package/swagger-ui.css > $(SWAGGER_UI_DIR)/swagger-ui.css && \
	  echo $(SWAGGER_UI_VERSION) > $(SWAGGER_UI_DIR)/VERSION && rm -rf $$tmp && echo "swagger-ui $(SWAGGER_UI_VERSION) in $(SWAGGER_UI_DIR)"

# The web console's libraries, kept in the repository like the Swagger UI's (no build step, no CDN):
# Preact, its hooks and htm as the ES modules npm ships, without source maps, the hooks' bare
# `preact` import pointed at the file beside it (a browser resolves no bare names without an import
# map, which the page's CSP would have to allow inline); and axe-core for the browser tests only.
PREACT_VERSION ?= 11.2.0
HTM_VERSION ?= 3.1.1
AXE_CORE_VERSION ?= 4.14.1
CONSOLE_VENDOR_DIR := functions/info/console/vendor
AXE_DIR := tests/e2e/vendor
console-assets:
	@tmp=$$(mktemp -d) && cd $$tmp && for p in preact@$(PREACT_VERSION) htm@$(HTM_VERSION) axe-core@$(AXE_CORE_VERSION); do \
	    npm pack --silent $$p >/dev/null && mkdir $${p%@*} && tar xzf $${p%@*}-*.tgz -C $${p%@*}; done && cd - >/dev/null && \
	  mkdir -p $(CONSOLE_VENDOR_DIR) $(AXE_DIR) && \
	  sed '/sourceMappingURL=/d' $$tmp/preact/package/dist/preact.mjs > $(CONSOLE_VENDOR_DIR)/preact.mjs && \
	  sed -e '/sourceMappingURL=/d' -e 's|from"preact"|from"./preact.mjs"|' $$tmp/preact/package/hooks/dist/hooks.mjs > $(CONSOLE_VENDOR_DIR)/hooks.mjs && \
	  sed '/sourceMappingURL=/d' $$tmp/htm/package/dist/htm.module.js > $(CONSOLE_VENDOR_DIR)/htm.mjs && \
	  cp $$tmp/preact/package/LICENSE $(CONSOLE_VENDOR_DIR)/LICENSE-preact && cp $$tmp/htm/package/LICENSE $(CONSOLE_VENDOR_DIR)/LICENSE-htm && \
	  printf 'preact %s\nhtm %s\n' $(PREACT_VERSION) $(HTM_VERSION) > $(CONSOLE_VENDOR_DIR)/VERSIONS && \
	  cp $$tmp/axe-core/package/axe.min.js $$tmp/axe-core/package/LICENSE $(AXE_DIR)/ && echo $(AXE_CORE_VERSION) > $(AXE_DIR)/AXE_CORE_VERSION && \
	  grep -q 'from"./preact.mjs"' $(CONSOLE_VENDOR_DIR)/hooks.mjs && ! grep -l 'from"preact"' $(CONSOLE_VENDOR_DIR)/*.mjs && \
	  rm -rf $$tmp && echo "preact $(PREACT_VERSION), htm $(HTM_VERSION) in $(CONSOLE_VENDOR_DIR); axe-core $(AXE_CORE_VERSION) in $(AXE_DIR)"

# `sam validate --lint` and `sam build` in a venv of their own: the SAM CLI pins its own boto3.
$(SAM_STAMP): requirements-sam.lock $(INSTALL)
	$(INSTALL) $(PYTHON) $(SAM_VENV) requirements-sam.lock sync
	touch $@

sam-check: $(SAM_STAMP)
	SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam validate --lint --region us-east-1
	@if [ "$$(basename $(PYTHON))" = python3.13 ]; then \
	  PATH="$$(dirname $(PYTHON)):$$PATH" SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam build \
	    --build-dir .aws-sam/build --cache-dir .aws-sam/cache --cached >/dev/null && echo "sam build: ok"; \
	else echo "sam build skipped: no python3.13 here (the Lambda runtime); sam validate passed"; fi

# Every function through `sam local invoke` and the API through `sam local start-api`, in Docker, over
# moto (scripts/sam_local_check.py); installs and starts Docker as root where it can, else says why in one line.
sam-local-check: $(STAMP) sam-check
	$(PY) scripts/sam_local_check.py

# bench_cold_start.py reads the `sam build` output, so the build comes first.
bench: $(STAMP) sam-check
	@for script in bench/*.py; do echo "== $$script"; LAMBDA_PYTHON=$(PYTHON) $(PY) $$script || exit 1; done

clean:
	rm -rf $(VENV) $(SAM_VENV) .tools .aws-sam .pytest_cache .pycache
