# hardened-ds-template: maintainer and user commands. `make help` lists them.
# The template's own tools live in .venv, installed hash-checked from
# requirements/dev.txt.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# Scanners (checkov, zizmor, hadolint, yamllint) get a venv of their own.
SCANNERS := .cache/scanners
SCANNERS_INSTALLED := $(SCANNERS)/.installed
# Renovate (its config validator and dry run), from npm, integrity-checked
# against requirements/renovate/package-lock.json; version 39 runs on Node.js 20.
RENOVATE := .cache/renovate
RENOVATE_INSTALLED := $(RENOVATE)/.installed
# pytest-xdist workers; the slow tests are install-bound, so 2 suit 2 cores.
WORKERS ?= 2
LOCK_FLAGS := --quiet --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links $(if $(UPGRADE),--upgrade)

.DEFAULT_GOAL := help
.PHONY: help venv new test lint docs bench release relock relock-dev python-names clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-13s %s\n", $$1, $$2}'

venv: $(INSTALLED) ## Create .venv with the template's locked tools

$(INSTALLED): requirements/dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --requirement requirements/dev.txt
	@touch $@

$(SCANNERS_INSTALLED): requirements/scanners.txt
	$(PYTHON) -m venv $(SCANNERS)
	$(SCANNERS)/bin/python -m pip install --quiet --require-hashes --requirement requirements/scanners.txt
	@touch $@

$(RENOVATE_INSTALLED): requirements/renovate/package.json requirements/renovate/package-lock.json
	@command -v npm >/dev/null || { echo "error: npm and Node.js 20 are needed for Renovate's validator" >&2; exit 1; }
	rm -rf $(RENOVATE) && mkdir -p $(RENOVATE)
	cp requirements/renovate/package.json requirements/renovate/package-lock.json $(RENOVATE)/
	cd $(RENOVATE) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

# DATA splits on spaces; NAME carries a project name that has them.
new: $(INSTALLED) ## Create a project: make new DEST=../my-project [NAME="Churn Model"] [DATA="package_name=y"]
	@test -n "$(DEST)" || { echo "usage: make new DEST=../my-project [NAME=\"Churn Model\"] [DATA=\"key=value ...\"]" >&2; exit 1; }
	$(BIN)/copier copy --vcs-ref HEAD $(if $(NAME)$(DATA),--defaults) $(if $(NAME),--data "project_name=$(NAME)") $(foreach pair,$(DATA),--data $(pair)) "$(CURDIR)" "$(DEST)"

test: $(INSTALLED) $(SCANNERS_INSTALLED) $(RENOVATE_INSTALLED) ## Run the template's tests (renders, installs and runs projects)
	SCANNERS_BIN=$(CURDIR)/$(SCANNERS)/bin RENOVATE_BIN=$(CURDIR)/$(RENOVATE)/node_modules/.bin \
		$(BIN)/pytest -n $(WORKERS) --dist loadgroup

lint: $(INSTALLED) ## Lint the template's own Python
	$(BIN)/ruff check tests scripts bench
	$(BIN)/ruff format --check tests scripts bench

docs: $(INSTALLED) ## Build the documentation site into site/
	$(BIN)/mkdocs build --strict

bench: $(INSTALLED) ## Measure copy time and time to a first green `make test` (options: ARGS=--help)
	PYTHONPATH=tests:scripts $(BIN)/python bench/bench.py $(ARGS)

release: $(INSTALLED) ## Tag a release: make release VERSION=1.2.0 (docs/releasing.md)
	@test -n "$(VERSION)" || { echo "usage: make release VERSION=X.Y.Z" >&2; exit 1; }
	$(BIN)/python scripts/release.py "$(VERSION)"

relock: $(INSTALLED) ## Regenerate the locks shipped to projects (UPGRADE=1 to upgrade), then the names they refuse
	$(BIN)/python scripts/relock.py $(if $(UPGRADE),--upgrade)
	$(BIN)/python scripts/dependency_names.py

relock-dev: $(INSTALLED) ## Regenerate the template's own locks (UPGRADE=1 to upgrade)
	$(BIN)/pip-compile $(LOCK_FLAGS) --output-file requirements/dev.txt requirements/dev.in
	$(BIN)/pip-compile $(LOCK_FLAGS) --output-file requirements/relock.txt requirements/relock.in
	$(BIN)/pip-compile $(LOCK_FLAGS) --output-file requirements/scanners.txt requirements/scanners.in

python-names: $(INSTALLED) ## Regenerate the names package_name may not take and the accent table
	$(BIN)/python scripts/python_names.py
	$(BIN)/python scripts/dependency_names.py

clean: ## Remove .venv, caches and the built site
	rm -rf $(VENV) .cache site .pytest_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
