# The two front-door commands are `make test` and `make rig`; both install what they need.
# Dependencies are pinned: Python in requirements.lock, npm in package-lock.json.
# Stamps make a re-run install only what changed.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMPS := .make
PYTEST_ARGS ?=
RIG_ARGS ?=

.PHONY: test test-hardhat test-hosts test-drivers rig soak demo lint typecheck gas slither bench fleet crash mutants nightly nightly-property nightly-fuzz deps clean distclean help

help:
	@echo "make test     install pinned dependencies, lint, type-check, run the test suite"
	@echo "make test-hardhat  contracts, payment path, demo and scenarios against Hardhat's node"
	@echo "make test-hosts  the suite spread over two SSH hosts on 127.0.0.1 (docs/hosts.md)"
	@echo "make test-drivers  the bench's driver paths on emulated chips (docs/bench.md)"
	@echo "make rig      the scenario suite on the emulated default, HTML report in reports/"
	@echo "make soak     make rig 10 times with different seeds beside a CPU hog (flake soak)"
	@echo "make demo     one rental's happy path through the firmware, with its ledger"
	@echo "make gas      write bench/results/gas.json"
	@echo "make bench    write bench/results/tap_to_serve.json (tap-to-serve vs ERC-20 latency)"
	@echo "make crash    crash-state exploration of the store: bench/results/crash_states.json"
	@echo "make mutants  every seeded defect against the rig: bench/results/mutants.json"
	@echo "make nightly  random fault schedules, crash states and fuzzing (the nightly hunt)"
	@echo "make slither  static analysis of contracts/ (own virtualenv)"

deps: $(STAMPS)/python $(STAMPS)/npm $(STAMPS)/chromium $(STAMPS)/openssh $(STAMPS)/umockdev

$(STAMPS)/python: pyproject.toml requirements.lock
	@mkdir -p $(STAMPS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[test]'
	# labgrid's pyserial-labgrid installs the same `serial` package as pyserial: the firmware
	# runs pyserial's own files, so pyserial is written last, whatever order pip chose.
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --force-reinstall \
	  "pyserial==$$(sed -n 's/^pyserial==//p' requirements.lock)"
	@touch $@

$(STAMPS)/npm: package.json package-lock.json
	@mkdir -p $(STAMPS)
	# `npm ci` rejects this lock: npm does not record anvil's other-platform optional
	# packages. `install --no-save` installs exactly the locked tree and never rewrites it.
	npm install --no-save --no-audit --no-fund --ignore-scripts --loglevel=error
	@touch $@

$(STAMPS)/chromium: tools/install-debian.sh
	@mkdir -p $(STAMPS)
	bash tools/install-debian.sh chromium:chromium
	@touch $@

# The two-host xdist run plays its hosts with OpenSSH servers on 127.0.0.1; /etc/services
# (netbase) is what nfcpy's udp driver trips over (emulators/nfc/udp_port.py, its test).
$(STAMPS)/openssh: tools/install-debian.sh
	@mkdir -p $(STAMPS)
	bash tools/install-debian.sh /usr/sbin/sshd:openssh-server ssh:openssh-client ssh-keygen:openssh-client \
	  /etc/services:netbase
	@touch $@

# The firmware's smbus2 path to /dev/i2c-N, answered by the emulated sensor chips through
# umockdev (emulators/sensors/umockdev/): its preload library, its GObject introspection
# data and Debian's gi (the venv loads gi from Debian's dist-packages).
MULTIARCH ?= $(shell dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo $$(uname -m)-linux-gnu)
$(STAMPS)/umockdev: tools/install-debian.sh
	@mkdir -p $(STAMPS)
	bash tools/install-debian.sh umockdev-run:umockdev \
	  /usr/lib/$(MULTIARCH)/girepository-1.0/UMockdev-1.0.typelib:gir1.2-umockdev-1.0 \
	  /usr/lib/python3/dist-packages/gi/__init__.py:python3-gi
	@touch $@

lint: $(STAMPS)/python
	$(VENV)/bin/ruff check .

# mypy over the packages [tool.mypy] in pyproject.toml lists; any error fails the build.
typecheck: $(STAMPS)/python
	$(VENV)/bin/mypy

test: deps lint typecheck
	$(VENV)/bin/pytest $(PYTEST_ARGS)
	$(MAKE) --no-print-directory test-hardhat
	$(MAKE) --no-print-directory test-hosts
	$(MAKE) --no-print-directory test-drivers

# The rig attached (--chain-url) to a node it did not start: Hardhat 2.x from the npm lock.
# Skips only for capabilities Hardhat lacks, no more than the known ones (docs/chain.md).
test-hardhat: deps
	$(PY) tools/hardhat_suite.py

# The suite spread over two hosts by SSH (OpenSSH servers on 127.0.0.1): scenarios with an
# anvil per worker, scenarios on one shared node without dev methods, the property shards.
test-hosts: deps
	$(PY) tools/hosts_suite.py

# The bench's driver paths on emulated chips (profiles/emulated-drivers.toml, docs/bench.md):
# the doctor, the end-to-end payment path and a subset of the scenarios, the firmware on
# nfcpy's PN532 tty driver, smbus2 through umockdev, started over SSH on a labgrid plug.
DRIVER_SCENARIOS ?= close-request-online power-cut-at-receipt-persisted \
  power-cut-at-redeem-broadcast torn-write-and-kth-write sensor-missing-at-boot \
  brew-board-line-noise phone-pulled-away-before-response restored-from-old-backup
test-drivers: deps
	$(VENV)/bin/rig doctor --profile emulated-drivers
	$(VENV)/bin/pytest -p no:cacheprovider --profile emulated-drivers tests/e2e/test_payment_path.py
	$(VENV)/bin/rig run --profile emulated-drivers $(DRIVER_SCENARIOS:%=scenarios/%.yaml)

rig: deps
	$(VENV)/bin/rig run --report reports $(RIG_ARGS)

# The flake soak: the README's `make rig`, SOAK_RUNS times with seeds drawn from one soak
# seed, beside one busy process per core; bench/results/soak.json says how each run went.
SOAK_RUNS ?= 10
SOAK_ARGS ?=
soak: deps
	$(PY) -m bench.soak --runs $(SOAK_RUNS) $(SOAK_ARGS)

demo: deps
	$(VENV)/bin/rig demo $(RIG_ARGS)

gas: deps
	$(PY) -m bench.gas

bench: deps
	$(PY) -m bench.tap_to_serve

# A fleet's office day (docs/fleet.md); FLEET_POLICIES="T:I,..." runs one day per redeem
# policy and charts the trade-off. Results: build/fleet/, copied to bench/results/fleet.json.
FLEET_MACHINES ?= 100
FLEET_SEED ?= 1
FLEET_POLICIES ?=
fleet: deps
	$(VENV)/bin/rig fleet --machines $(FLEET_MACHINES) --seed $(FLEET_SEED) --out build/fleet \
	  $(if $(FLEET_POLICIES),--policies $(FLEET_POLICIES)) $(RIG_ARGS); status=$$?; \
	  mkdir -p bench/results && cp build/fleet/fleet.json bench/results/fleet.json; exit $$status

crash: deps
	$(PY) -m bench.crash_states
	$(PY) -m bench.crash_states --defect no_fsync

mutants: deps
	$(PY) -m bench.mutants

# The nightly hunt: crash states first, then random fault schedules (hypothesis,
# NIGHTLY_EXAMPLES examples in NIGHTLY_SHARDS shards, each example with its own swarm fault
# profile and a heal phase) and the fuzzers side by side; see docs/property-testing.md.
# The fuzzers run at the lowest priority: they take the CPU the shards leave, and the
# shards, whose firmware works against timeouts, run as on an idle machine. The summary
# prints the coverage table of dangerous states and the failures, each re-run and
# classified, with its replay command; a state never reached fails the night.
NIGHTLY_EXAMPLES ?= 10000
NIGHTLY_SHARDS ?= 12
NIGHTLY_RECORDS ?= build/nightly
nightly: deps
	$(PY) -m bench.crash_states --states 1000
	$(MAKE) -j2 nightly-property nightly-fuzz

# HOSTS=hosts.toml spreads the shards over SSH hosts (docs/hosts.md); else the shards run
# as as many workers here. `rig hosts` runs with the nightly's settings in its environment.
HOSTS ?=
nightly-property: deps
	rm -rf $(NIGHTLY_RECORDS)
	export COFFEEPAY_HYPOTHESIS_PROFILE=nightly COFFEEPAY_HYPOTHESIS_SHARDS=$(NIGHTLY_SHARDS) \
	  COFFEEPAY_HYPOTHESIS_EXAMPLES=$(NIGHTLY_EXAMPLES) \
	  COFFEEPAY_NIGHTLY_RECORDS=$(abspath $(NIGHTLY_RECORDS)) && \
	  spread='-n $(NIGHTLY_SHARDS)' && $(if $(HOSTS),spread="$$($(VENV)/bin/rig hosts $(HOSTS))" &&) \
	  status=0 && { eval $(VENV)/bin/pytest -q -p no:cacheprovider -p rig.pytestplugin "$$spread" \
	  --rig-path=tests/property/test_rig_stateful.py \
	  -k random_fault_schedules --junitxml=bench/results/nightly-property.xml || status=$$?; } && \
	  $(PY) -m bench.nightly_summary --shards $(NIGHTLY_SHARDS) $(NIGHTLY_RECORDS) \
	  || status=1; exit $$status

# Fuzz inputs per parser (NIGHTLY_FUZZ_INPUTS), within a time box (NIGHTLY_FUZZ_SECONDS, shared
# by the parsers): niced beside 12 shards the fuzzers get what the shards leave, about half a
# core, so the box, not the count, ends the slow parsers; docs/property-testing.md, "Nightly
# budget".
NIGHTLY_FUZZ_INPUTS ?= 100000
NIGHTLY_FUZZ_SECONDS ?= 3300
nightly-fuzz: deps
	nice -n 19 $(PY) -m bench.fuzz_nightly --jobs 2 --inputs-per-parser $(NIGHTLY_FUZZ_INPUTS) \
	  --seconds $(NIGHTLY_FUZZ_SECONDS)

clean:
	rm -rf build .pytest_cache .hypothesis reports

distclean: clean
	rm -rf $(VENV) .venv-slither node_modules $(STAMPS)
