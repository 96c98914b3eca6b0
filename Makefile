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

.PHONY: demo test venv docker-cli lint unit sanity integration molecule pscheck changelog publish ee matrix clean

demo: $(STAMP)
	scripts/demo

test: lint unit pscheck sanity integration molecule changelog publish ee matrix

venv: $(STAMP)

$(STAMP): requirements.txt requirements-test.txt scripts/find-python scripts/ensure-system-packages tests/simulator/pyproject.toml
	scripts/ensure-system-packages
	@python=$$(scripts/find-python) || exit 1; \
	  [ -x $(BIN)/python ] || $$python -m venv $(VENV); \
	  $(BIN)/python -m pip install --quiet --upgrade pip; \
	  $(BIN)/python -m pip install --quiet -r requirements-test.txt && \
	  $(BIN)/python -m pip install --quiet -e tests/simulator
	mkdir -p $(dir $(COLLECTION_LINK))
	ln -sfn $(CURDIR) $(COLLECTION_LINK)
	touch $(STAMP)

# The 20.10 docker CLI the simulated 20.10 engines run (quick once it is there).
docker-cli: $(STAMP)
	scripts/ensure-docker-cli $(VENV)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/yamllint --strict .
	$(BIN)/ansible-lint --profile production --offline
	$(BIN)/antsibull-docs lint-collection-docs --plugin-docs .

unit: $(STAMP) docker-cli
	$(PYTEST) -n 2 tests/unit tests/simulator/unit

pscheck: $(STAMP)
	$(PYTEST) tests/powershell

sanity: $(STAMP)
	scripts/run-sanity

integration: $(STAMP) docker-cli
	$(PYTEST) -n 2 --dist loadfile tests/integration

molecule: $(STAMP)
	scripts/run-molecule

changelog: $(STAMP)
	$(BIN)/antsibull-changelog lint

# The built tarball through galaxy-importer, as Galaxy / Automation Hub import it.
publish: $(STAMP)
	scripts/run-galaxy-importer

# ansible-builder create on the example execution environment (no image build:
# no container engine here), and the generated context checked.
ee: $(STAMP)
	$(PYTEST) tests/ee

# The older ansible-core versions meta/runtime.yml claims: sanity and the site playbook.
matrix: $(STAMP)
	scripts/run-core-matrix

clean:
	rm -rf $(VENV) .venv-core .tmp tests/output
