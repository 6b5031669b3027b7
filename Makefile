# piguard: two commands do everything on a fresh machine.
#   make demo  - set up, initialise a demo home, load synthetic customers, start the server
#   make test  - set up, then the whole suite (PostgreSQL, SoftHSM2 and browser tests included)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOME_DIR ?= .piguard
DEMO_CUSTOMERS ?= 500
PORT ?= 8700

.PHONY: setup system-deps demo test lint typecheck bench clean lock

setup: system-deps $(VENV)/.installed $(VENV)/piguard-native/stamp.json

system-deps:
	@PYTHON=$(PYTHON) scripts/install-system-deps

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade 'pip>=24'
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	@touch $@

# The detector's hot modules compiled with mypyc (src/piguard/native.py), rebuilt when a source
# changes; used only while they match the sources. Without a C compiler the detector stays pure Python.
NATIVE_SOURCES := $(wildcard src/piguard/detect/*.py src/piguard/detect/recognizers/*.py) src/piguard/native.py scripts/build-native
$(VENV)/piguard-native/stamp.json: $(VENV)/.installed $(NATIVE_SOURCES)
	@$(BIN)/python scripts/build-native || echo "build-native failed: the detector runs as pure Python"

demo: setup
	@scripts/demo $(HOME_DIR) $(DEMO_CUSTOMERS) $(PORT)

test: setup
	@scripts/run-tests

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/python scripts/openapi --check

typecheck: setup
	$(BIN)/mypy

# Benchmarks need the bench extra (Presidio, model-free, as the detector's baseline).
bench: setup
	$(BIN)/pip install -q -c constraints.txt -e '.[dev,bench]'
	@for b in bench/[!_]*.py; do echo "== $$b"; $(BIN)/python $$b --quick || exit 1; done

# Refresh the pinned versions after changing pyproject.toml dependencies.
lock:
	$(BIN)/pip freeze --exclude-editable | grep -v '^piguard' > constraints.txt

clean:
	rm -rf $(VENV) .pgtest .softhsm test-artifacts .pytest_cache .mypy_cache .ruff_cache
