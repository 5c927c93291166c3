# make run: the firmware on simulated hardware.  make test: everything CI checks.  make bench: figures.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DRIVE := build/drive
SD := build/sd

.PHONY: setup run test soak bench docs lib clean system-packages vm-api standin

setup: $(STAMP) tools/mpvm/node_modules/.installed

$(STAMP): requirements.txt requirements-host.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q -r requirements-host.txt
	touch $@

tools/mpvm/node_modules/.installed: tools/mpvm/package.json tools/mpvm/package-lock.json
	@command -v npm >/dev/null || { echo "npm is missing: apt-get install -y nodejs npm"; exit 1; }
	npm ci --prefix tools/mpvm --no-audit --no-fund --loglevel=error
	touch $@

# Programs the tests run for real: Mosquitto (the broker) and chrony (the NTP server, run
# unprivileged with -x). Installed when missing.
system-packages:
	@command -v mosquitto >/dev/null || command -v /usr/sbin/mosquitto >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq mosquitto >/dev/null; \
	  else echo "mosquitto is missing: sudo apt-get install -y mosquitto"; exit 1; fi; }
	@command -v chronyd >/dev/null || command -v /usr/sbin/chronyd >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chrony >/dev/null; \
	  else echo "chrony is missing: sudo apt-get install -y chrony"; exit 1; fi; }

# The logger (python -m host on build/drive and build/sd) sending to the local AWS IoT stand-in,
# whose log (the shadow document after each update) is build/standin.log. See host/aws/demo.py.
run: setup system-packages
	$(PY) -m host.aws.demo --drive $(DRIVE) --sd $(SD)

# The local AWS IoT stand-in (broker, shadow service, NTP) for the card folder of `make run`;
# run it in a second terminal. Ctrl-C stops it.
standin: setup system-packages
	@mkdir -p $(SD)
	$(PY) -m host.aws --dir $(SD) --ntp

test: setup system-packages
	$(VENV)/bin/pytest -q -n 2 --dist loadfile  # two workers, a test file each at a time; not "python -m pytest": that puts code.py ahead of the stdlib's `code`

# The long versions of the short soaks in make test: the tick clock's wrap a minute in, as on a board.
soak: setup
	SOAK_TICKS_BEFORE_WRAP_MS=60000 $(VENV)/bin/pytest -q tests/test_host_run.py -k tick_clock_wrap
	SOAK_OUTAGES=10 $(VENV)/bin/pytest -q tests/test_aws_outage.py -k broker_killed

bench: setup
	$(PY) tools/bench.py

docs: setup
	$(PY) tools/settings_doc.py

# tools/vm_api.json (what gate_api checks firmware against) from the installed MicroPython VM.
vm-api: setup
	$(PY) tools/gate_api.py --regenerate

# The device libraries as .py into lib/, offline, for copying to a board (circup does this online).
lib: setup
	$(VENV)/bin/pip install -q --no-deps --upgrade --target lib -r requirements.txt
	rm -rf lib/*.dist-info lib/__pycache__ lib/*/__pycache__  # the board needs the modules only

clean:
	rm -rf build $(VENV) tools/mpvm/node_modules
