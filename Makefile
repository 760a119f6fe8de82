# One command each: `make demo` and `make test` set up everything they need on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TOOLS := .tools
AZURITE := $(TOOLS)/node_modules/.bin/azurite
# The official twilio npm package, at the range tests/node/package.json pins, for the Node check.
TWILIO_NODE := $(TOOLS)/node/node_modules/twilio/package.json
# The REST face runs a second time on the oldest twilio it supports, and the store on the oldest
# SQLAlchemy (the newest of both are in $(VENV)).
TWILIO_OLDEST := 8.0.0
SQLALCHEMY_OLDEST := 2.0.28
OLDEST_VENV := .venv-twilio-oldest
OLDEST_PY := $(OLDEST_VENV)/bin/python
OLDEST_STAMP := $(OLDEST_VENV)/.installed-$(TWILIO_OLDEST)-$(SQLALCHEMY_OLDEST)
# The same pass runs on the other Pythons the package supports ($(VENV) has the machine's
# python3), each in .venv-py<version>, from pyenv's versions or PATH; a Python the machine does
# not have is skipped with a notice.
OTHER_PYTHONS := 3.10 3.12 3.13
PYENV_ROOT ?= $(HOME)/.pyenv
OTHER_STAMPS := $(foreach version,$(OTHER_PYTHONS),.venv-py$(version)/.installed)
SHORT_TESTS := tests/rest tests/adapter/test_store*.py

.PHONY: demo test test-fast lint bench setup tools clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@touch $(STAMP)

$(OLDEST_STAMP): pyproject.toml
	@test -x $(OLDEST_PY) || $(PYTHON) -m venv $(OLDEST_VENV)
	@echo '*' > $(OLDEST_VENV)/.gitignore
	$(OLDEST_PY) -m pip install -q --upgrade pip
	$(OLDEST_PY) -m pip install -q -e '.[dev]' 'twilio==$(TWILIO_OLDEST)' \
		'sqlalchemy==$(SQLALCHEMY_OLDEST)'
	@touch $@

# The interpreter: pyenv's newest patch release of that version, else pythonX.Y on PATH if it
# runs (a pyenv shim for a version not selected does not); none, no venv (`test` says so).
.venv-py%/.installed: pyproject.toml
	@interpreter=$$(ls -d $(PYENV_ROOT)/versions/$*.*/bin/python 2>/dev/null | sort -V | tail -n 1); \
	if [ -z "$$interpreter" ] && python$* -c pass 2>/dev/null; then interpreter=python$*; fi; \
	if [ -z "$$interpreter" ]; then exit 0; fi; \
	set -e; \
	test -x .venv-py$*/bin/python || "$$interpreter" -m venv .venv-py$*; \
	echo '*' > .venv-py$*/.gitignore; \
	echo "installing into .venv-py$* ($$(.venv-py$*/bin/python --version))"; \
	.venv-py$*/bin/python -m pip install -q --upgrade pip; \
	.venv-py$*/bin/python -m pip install -q -e '.[dev]'; \
	touch $@

$(AZURITE):
	@mkdir -p $(TOOLS)
	npm install --silent --no-audit --no-fund --prefix $(TOOLS) azurite@^3.37

$(TWILIO_NODE): tests/node/package.json
	@mkdir -p $(TOOLS)/node
	cp tests/node/package.json $(TOOLS)/node/package.json
	npm install --silent --no-audit --no-fund --prefix $(TOOLS)/node
	@touch $@

setup: $(STAMP)

tools: $(AZURITE) $(TWILIO_NODE)

# The tests drive twilio-node too (tests/rest/test_twilio_node.py).
test test-fast: $(TWILIO_NODE)

demo: $(STAMP)
	$(PY) -m twilio_compat.demo

test: $(STAMP) $(AZURITE) $(OLDEST_STAMP) $(OTHER_STAMPS)
	PATH="$(CURDIR)/$(TOOLS)/node_modules/.bin:$$PATH" $(PY) -m pytest
	$(OLDEST_PY) -m pytest -q -p no:cacheprovider $(SHORT_TESTS)
	@for version in $(OTHER_PYTHONS); do \
		if [ -f .venv-py$$version/.installed ]; then \
			echo ".venv-py$$version/bin/python -m pytest -q -p no:cacheprovider $(SHORT_TESTS)"; \
			.venv-py$$version/bin/python -m pytest -q -p no:cacheprovider $(SHORT_TESTS) || exit 1; \
		else \
			echo "notice: no Python $$version on this machine; its test pass is skipped"; \
		fi; \
	done

# Everything but the soak and slow tests (see the markers in pyproject.toml), for quick checks.
test-fast: $(STAMP) $(AZURITE)
	PATH="$(CURDIR)/$(TOOLS)/node_modules/.bin:$$PATH" $(PY) -m pytest -m "not soak and not slow"

# mypy runs twice: --strict on the packages, then on tests/ and benchmarks/ with the relaxed
# rules of their override in pyproject.toml.
lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	$(PY) -m mypy tests benchmarks

bench: $(STAMP)
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) $(OLDEST_VENV) $(OTHER_STAMPS:/.installed=) $(TOOLS) .pytest_cache .mypy_cache \
		.ruff_cache
