# The README's quick start: `make demo` and `make test`. Each target sets itself up.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test test-ha lint bench clean mosquitto node micropython debootstrap

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "backstretch needs Python 3.11 or newer")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/backstretch demo

mosquitto:
	@command -v mosquitto >/dev/null 2>&1 || test -x /usr/sbin/mosquitto || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing mosquitto (MQTT broker for the tests)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto >/dev/null; \
	  else \
	    echo "The tests need the mosquitto broker: sudo apt-get install mosquitto"; exit 1; \
	  fi; }

# Node.js runs the simulated Bangle.js's JavaScript and MicroPython's WebAssembly port.
node:
	@command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Node.js (runs the simulated watch and MicroPython for the tests)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; \
	  else \
	    echo "The tests need Node.js and npm: sudo apt-get install nodejs npm"; exit 1; \
	  fi; }

# MicroPython's WebAssembly port (pinned in tests/firmware/package-lock.json) runs the
# reference firmware's core in the tests.
MICROPYTHON_WASM := tests/firmware/node_modules/@micropython/micropython-webassembly-pyscript

micropython: node
	@test -f $(MICROPYTHON_WASM)/micropython.wasm || \
	  (cd tests/firmware && npm ci --no-audit --no-fund --loglevel=error)

# pytest exits 5 when it collected nothing: that is a failure here, not a pass.
test: $(STAMP) mosquitto node micropython
	@$(PY) -m pytest $(PYTEST_ARGS); rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$rc

# Home Assistant itself (tests/ha): it runs in a Debian root that debootstrap builds once and
# the tests cache in $XDG_CACHE_HOME (or ~/.cache)/backstretch/ha-root. Root only; without
# root or debootstrap the tests skip and say why.
debootstrap:
	@command -v debootstrap >/dev/null 2>&1 || test -x /usr/sbin/debootstrap || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing debootstrap (builds the Debian root Home Assistant runs in)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; \
	  else \
	    echo "make test-ha needs root and debootstrap (sudo apt-get install debootstrap)"; \
	  fi; }

test-ha: $(STAMP) mosquitto debootstrap
	@$(PY) -m pytest tests/ha -m ha $(PYTEST_ARGS); rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$rc

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

# Benchmarks print JSON; they take minutes (cue accuracy runs whole sessions in real time).
bench: $(STAMP) mosquitto debootstrap
	$(PY) bench/fuzz_protocol.py
	$(PY) bench/ble_link.py
	$(PY) bench/cue_accuracy.py
	$(PY) bench/cue_accuracy.py --devices 8 --modes scheduled --sessions 2
	$(PY) bench/idle.py
	$(PY) bench/mqtt_latency.py
	$(PY) bench/ha_latency.py
	$(PY) bench/tui_cpu.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache tests/firmware/node_modules
