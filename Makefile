# Two commands do everything on a fresh machine:
#   make demo   the site playbook against the simulated fleet
#   make test   every check and test CI runs
# Both create the virtual environment (.venv, Python 3.12+) when needed.

SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
COLLECTION_LINK := $(VENV)/collections/ansible_collections/trustbound/wincontainers
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/$(VENV)/collections
export PATH := $(CURDIR)/$(BIN):$(PATH)
# pytest, with "no tests collected" (exit 5) reported loudly instead of failing.
PYTEST := scripts/run-pytest -q -p no:cacheprovider
# ansible-lint crashes on a missing directory: lint the ones that exist.
LINT_DIRS := $(wildcard roles playbooks)

.PHONY: demo test venv lint unit sanity integration molecule pscheck changelog clean

demo: $(STAMP)
	scripts/demo

test: lint unit pscheck sanity integration molecule changelog

venv: $(STAMP)

$(STAMP): requirements.txt requirements-test.txt scripts/find-python tests/simulator/pyproject.toml
	@python=$$(scripts/find-python) || exit 1; \
	  [ -x $(BIN)/python ] || $$python -m venv $(VENV); \
	  $(BIN)/python -m pip install --quiet --upgrade pip; \
	  $(BIN)/python -m pip install --quiet -r requirements-test.txt && \
	  $(BIN)/python -m pip install --quiet -e tests/simulator
	mkdir -p $(dir $(COLLECTION_LINK))
	ln -sfn $(CURDIR) $(COLLECTION_LINK)
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/yamllint --strict .
	$(if $(LINT_DIRS),$(BIN)/ansible-lint --profile production --offline $(LINT_DIRS),@echo "ansible-lint: no roles/ or playbooks/ yet")

unit: $(STAMP)
	$(PYTEST) tests/unit tests/simulator/unit

pscheck: $(STAMP)
	$(PYTEST) tests/powershell

sanity: $(STAMP)
	scripts/run-sanity

integration: $(STAMP)
	scripts/ensure-chromium
	$(PYTEST) tests/integration

molecule: $(STAMP)
	scripts/run-molecule

changelog: $(STAMP)
	$(BIN)/antsibull-changelog lint

clean:
	rm -rf $(VENV) .tmp tests/output
