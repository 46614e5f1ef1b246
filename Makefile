# hypervisor.kvm: every command a person or CI needs. `make run`, `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The one ansible_collections/ tree every tool uses: ansible and molecule find the collection
# through ANSIBLE_COLLECTIONS_PATH, pytest imports it through PYTHONPATH, ansible-test runs
# inside it. A copy of the tracked files, made afresh once per make run (see $(COLLECTION)).
COLLECTIONS := $(CURDIR)/.cache/collections
COLLECTION := $(COLLECTIONS)/ansible_collections/hypervisor/kvm
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
# What the tools would write under the home directory goes under .cache/ as well: ansible's
# ~/.ansible (its temporary files), pip's ~/.cache (wheels); ansible-test's ~/.ansible/test
# through tests/tools/run-ansible-test.
export ANSIBLE_HOME := $(CURDIR)/.cache/ansible
export XDG_CACHE_HOME := $(CURDIR)/.cache/xdg
ANSIBLE_TEST_HOME := $(CURDIR)/.cache/ansible-test
export ANSIBLE_LOCALHOST_WARNING := false
export ANSIBLE_INVENTORY_UNPARSED_WARNING := false
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: all venv install packages run test test-unit test-sanity test-integration test-lint \
	test-hostile test-redfish test-fleet test-package test-vm test-matrix soak bench bench-fleet bench-role clean FORCE \
	role-docs kernel-messages-doc docs test-docs

all: test

# The development tools, pinned in requirements-dev.txt (not requirements.txt: ansible-builder
# would take a collection's requirements.txt for what it needs at run time). In a fresh clone,
# `touch -d 2020-01-01 requirements-dev.txt` keeps an existing .venv from being rebuilt.
$(BIN)/.installed: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(BIN)/.installed

# sushy-tools' Redfish emulator in a venv of its own (tests/redfish/requirements.txt): what it
# needs to build stays out of .venv, which `make run` uses. The tests find it through SUSHY_EMULATOR.
REDFISH := $(CURDIR)/.cache/redfish
export SUSHY_EMULATOR := $(REDFISH)/bin/sushy-emulator
$(REDFISH)/.installed: tests/redfish/requirements.txt
	$(PYTHON) -m venv $(REDFISH)
	$(REDFISH)/bin/pip install --quiet --upgrade pip
	$(REDFISH)/bin/pip install --quiet -r tests/redfish/requirements.txt
	touch $@

# The Debian packages the tests need: the list, each with why, is tests/debian-packages.txt.
# As root the missing ones are installed; otherwise the apt-get command to run is printed.
packages:
	tests/tools/debian-packages tests/debian-packages.txt

# The tracked tree (and new files not ignored) under ansible_collections/. The captured hosts
# stay out: they are data named as sysfs names them (PCI addresses hold ':'), which
# ansible-test's file-name rules are not about; the unit tests, run from the checkout, read
# them in place. Its own git index lets ansible-test list its files.
$(COLLECTION): FORCE
	rm -rf $(COLLECTIONS) && mkdir -p $(COLLECTION)
	git ls-files -z --cached --others --exclude-standard -- . ':!tests/unit/fixtures' ':!$(VENV)' | xargs -0 cp --parents -t $(COLLECTION)
	cd $(COLLECTION) && git init -q && git add -A

install: venv $(COLLECTION)

FORCE:

# This host, no inventory: the venv's Python runs the modules, whatever else is on PATH.
LOCALHOST := localhost -c local -i localhost, -e ansible_python_interpreter=$(CURDIR)/$(BIN)/python

# kvm_check fails on a host that cannot run KVM; the facts still follow, to show why.
# YAML results print kvm-ok's lines as lines.
run: export ANSIBLE_CALLBACK_RESULT_FORMAT := yaml
run: install
	-$(BIN)/ansible $(LOCALHOST) -m hypervisor.kvm.kvm_check
	$(BIN)/ansible $(LOCALHOST) -m hypervisor.kvm.kvm_facts

# What proves behaviour; soak and benchmarks are `make soak`, `make bench`, `make bench-fleet`.
# tests/README.md: each folder, its target, what it needs and how long it takes. The unit tests and
# the integration targets run inside test-matrix, once for each release of tests/matrix/releases.txt,
# .venv's among them: test-unit and test-integration, which run them once more with .venv's
# ansible-core, are for a quick run by hand.
test: packages test-package test-hostile test-redfish test-sanity test-lint test-docs test-fleet test-matrix test-vm

# ansible-core 2.16's module_utils (2.16 is the oldest release supported and the last that manages
# Python 3.6, RHEL 8's platform-python): the module tests run kvm_firmware_bios under 3.6 with them.
# The oldest release is the first row of tests/matrix/releases.txt, the one list of releases.
OLD_ANSIBLE_RELEASE := $(shell awk '!/^\#/ && NF { print $$1; exit }' tests/matrix/releases.txt)
OLD_ANSIBLE := $(CURDIR)/.cache/ansible-oldest
$(OLD_ANSIBLE)/.installed: tests/matrix/releases.txt
	rm -rf $(OLD_ANSIBLE)
	$(BIN)/pip install --quiet --no-deps --target $(OLD_ANSIBLE) ansible-core==$(OLD_ANSIBLE_RELEASE)
	touch $@

test-unit: install $(OLD_ANSIBLE)/.installed
	PYTHONPATH=$(COLLECTIONS) $(BIN)/python -m pytest -q -p no:cacheprovider -n 2 --dist loadfile -m "not deadline" tests/unit
	PYTHONPATH=$(COLLECTIONS) $(BIN)/python -m pytest -q -p no:cacheprovider -n 4 --dist load -m deadline tests/unit

# The collection as a user gets it: the tarball built from the tracked files, installed offline
# with ansible-core alone, kvm_facts and kvm_check run from it, ansible-builder's introspection.
test-package: install
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/package

# Hostile snapshots: captured hosts crafted at run time (links out of the root, FIFOs, device
# nodes, loops, huge and sparse files, non-UTF-8 names, wrong file types) through kvm_facts
# and kvm_check, one process per run and once through ansible; as root for the device nodes. Two
# at a time: each worker builds the corpus once, and the tally reaches the summary in the reports.
test-hostile: install
	PYTHONPATH=$(COLLECTIONS) $(BIN)/python -m pytest -q -p no:cacheprovider -n 2 tests/hostile

# kvm_firmware through ansible-playbook against sushy-tools' Redfish emulator on 127.0.0.1 over
# TLS, two tests at a time, each worker's emulator started once and given each test's systems afresh.
test-redfish: packages install $(REDFISH)/.installed
	$(BIN)/python -m pytest -q -p no:cacheprovider -n 2 tests/redfish

ANSIBLE_TEST := $(CURDIR)/tests/tools/run-ansible-test $(CURDIR)/$(VENV) $(ANSIBLE_TEST_HOME)
# The venv's own Python (X.Y): ansible-test runs its tests on that one only.
VENV_PYTHON = $$($(CURDIR)/$(BIN)/python -c 'import sys; print("%d.%d" % sys.version_info[:2])')

test-sanity: install
	cd $(COLLECTION) && $(ANSIBLE_TEST) sanity --python $(VENV_PYTHON) --color no

# The modules through Ansible on this host: live, in check mode, on captured hosts.
test-integration: install
	cd $(COLLECTION) && $(ANSIBLE_TEST) integration --python $(VENV_PYTHON) --local --color no

# The tracked YAML (yamllint's ignore list still applies), so nothing under .cache/ is linted.
test-lint: packages install
	git ls-files -z --cached --others --exclude-standard -- '*.yml' '*.yaml' .yamllint | xargs -0 $(BIN)/yamllint -s
	$(BIN)/ansible-lint --profile production
	shellcheck extensions/molecule/shared/{build-image,vm-up,vm-down,vm-console,vm-ssh,plain-tail,capture-fixture} \
		tests/tools/{debian-packages,run-ansible-test,run-scenarios} tools/capture-host
	$(BIN)/antsibull-changelog lint
# Dead code: every function, class and constant no one uses (60% is vulture's confidence for an
# unused function). tests/tools/vulture-whitelist names what Python or Ansible calls by name, each
# with why. extensions/ too: the molecule harness uses the tests' BMC emulator.
	$(BIN)/vulture plugins tools tests extensions tests/tools/vulture-whitelist --min-confidence 60 \
		--exclude '*/fixtures/*'
# The plugins' and roles' docs as a docs site renders them (markup, references). Only references to
# this collection are checked: the linter would otherwise need every dependency installed.
	cd $(COLLECTION) && $(CURDIR)/$(BIN)/antsibull-docs lint-collection-docs --plugin-docs --validate-collection-refs self .

# The docs site, as Ansible's own docs show collections: antsibull-docs writes the plugins' and
# roles' pages as RST, Sphinx makes HTML of them (warnings are errors), offline: docs/site/ holds
# the configuration antsibull-docs sphinx-init writes, without intersphinx. Open
# .cache/docs/html/index.html.
DOCS := $(CURDIR)/.cache/docs
docs: install
	rm -rf $(DOCS) && mkdir -p $(DOCS) && mkdir -m 0700 $(DOCS)/rst
	$(BIN)/antsibull-docs --config-file docs/site/antsibull-docs.cfg collection --use-current --squash-hierarchy \
		--fail-on-error --dest-dir $(DOCS)/rst hypervisor.kvm
	$(BIN)/sphinx-build -q -b html -c docs/site -W --keep-going -d $(DOCS)/doctrees $(DOCS)/rst $(DOCS)/html

# The site in headless chromium: every plugin's and role's page renders, every link inside the site
# resolves, nothing is fetched from outside.
test-docs: packages docs
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/docs

# The roles' README variable tables, from meta/argument_specs.yml (tests/unit/roles/test_role_readmes.py
# fails when a committed README differs).
role-docs: venv
	$(BIN)/python tools/role_readme_variables.py

# docs/kernel-messages.md, from the kernel message table the verdict reads
# (tests/unit/tools/test_kernel_messages_doc.py fails when the committed page differs).
kernel-messages-doc: venv
	$(BIN)/python tools/kernel_messages_doc.py

# Every supported ansible-core (tests/matrix/releases.txt) in its own venv under .cache/matrix/:
# units, integration, the report playbook, the modules ad hoc on every target Python present,
# sanity on the oldest and newest release. RELEASES="2.16 2.21" runs only those.
RELEASES ?=
test-matrix: install $(OLD_ANSIBLE)/.installed
	$(BIN)/python tests/matrix/matrix.py $(CURDIR) $(COLLECTIONS) $(ANSIBLE_TEST_HOME) $(RELEASES)

# The report over real SSH: `make test-fleet` runs the report playbook against a small fleet (14
# hosts: sshd processes on loopback started and stopped by the test, live and captured verdicts, a
# failed gathering, unreachable hosts, more hosts than forks, pipelining and sudo), again from its
# fact cache, its page in headless chromium; hostile facts from a fact cache; --limit slices into
# one cache; the execution environment's build context. Two files at a time (pytest-xdist): each
# file's fleet or fact cache is made once, on one worker.
test-fleet: packages install
	$(BIN)/python -m pytest -q -p no:cacheprovider -n 2 --dist loadfile -m "not soak" tests/fleet

# Soak: the same tests and page on the 204-host rig (13 sshd processes, forks 16), and the timing
# that only means something at that scale (marker soak). Not part of `make test`.
soak: packages install
	FLEET_SHAPE=soak $(BIN)/python -m pytest -q -p no:cacheprovider tests/fleet/test_fleet.py

# Benchmarks, not tests: not part of `make test`. `make bench`: one kvm_facts gathering in process
# and as an ad-hoc run against ping. `make bench-fleet`: kvm_facts against ping over SSH hosts at
# the same forks, the report from a 10,000-host fact cache against a no-work playbook and one
# run_once write, the page with 10,000 rows in chromium (first paint, a filter keystroke), and the
# sliced workflow. Environment: BENCH_PARTS (live,cache), BENCH_SIZES, BENCH_CACHE_HOSTS (10000),
# BENCH_SLICES (3), BENCH_MODULES, BENCH_CACHE_RUNS (no-work,run-once,report).
bench-fleet: packages install
	$(BIN)/python tests/fleet/bench_fleet.py

# The roles on real QEMU virtual machines: extensions/molecule/{default,trixie}, driven by the
# scripts in extensions/molecule/shared/, all at once (tests/tools/run-scenarios: each scenario
# into its own log under .cache/molecule-logs/, printed whole when all have ended). Each VM has
# one virtual CPU, so two of them use the two cores that one after the other left half idle.
# SCENARIOS=trixie runs only that one.
SCENARIOS ?=
# ansible's ssh connection keeps its control sockets in ~/.ansible/cp unless told otherwise.
test-vm: export ANSIBLE_SSH_CONTROL_PATH_DIR := $(CURDIR)/.cache/ansible/cp
test-vm: packages install $(REDFISH)/.installed
	tests/tools/run-scenarios $(BIN)/molecule $(CURDIR)/.cache/molecule-logs $(SCENARIOS)

bench: install
	PYTHONPATH=$(COLLECTIONS) $(BIN)/python tests/bench/bench.py

# kvm_host's re-run on a converged Debian 12 VM (QEMU, AMD SVM) against its floor play on the same
# VM in the same run (tests/bench/bench_role.py): the first converge, both medians, the ratio
# (goal 1.5x) and the re-run's tasks over 2 s. Environment: BENCH_ROLE_RUNS (3), BENCH_ROLE_KEEP=1
# and BENCH_ROLE_REUSE=1 (keep the converged VM and measure it again).
bench-role: export ANSIBLE_SSH_CONTROL_PATH_DIR := $(CURDIR)/.cache/ansible/cp
bench-role: packages install
	$(BIN)/python tests/bench/bench_role.py

clean:
	rm -rf .cache tests/output
