# hypervisor.kvm: every command a person or CI needs. `make run`, `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The collection is laid out under ansible_collections/ for ansible-test and for ansible itself.
BUILD := .build/ansible_collections/hypervisor/kvm
COLLECTIONS := $(CURDIR)/.collections
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export ANSIBLE_LOCALHOST_WARNING := false
export ANSIBLE_INVENTORY_UNPARSED_WARNING := false
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: all venv install run test test-unit test-sanity test-integration test-lint test-vm bench clean FORCE

all: test

$(BIN)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

venv: $(BIN)/.installed

# Build the collection artifact and install it where ansible finds it.
install: venv
	rm -rf .cache/dist && mkdir -p .cache/dist
	$(BIN)/ansible-galaxy collection build --force --output-path .cache/dist .
	$(BIN)/ansible-galaxy collection install --force -p $(COLLECTIONS) .cache/dist/hypervisor-kvm-*.tar.gz

# This host, no inventory: the venv's Python runs the modules, whatever else is on PATH.
LOCALHOST := localhost -c local -i localhost, -e ansible_python_interpreter=$(CURDIR)/$(BIN)/python

# kvm_check fails on a host that cannot run KVM; the facts still follow, to show why.
# YAML results print kvm-ok's lines as lines.
run: export ANSIBLE_CALLBACK_RESULT_FORMAT := yaml
run: install
	-$(BIN)/ansible $(LOCALHOST) -m hypervisor.kvm.kvm_check
	$(BIN)/ansible $(LOCALHOST) -m hypervisor.kvm.kvm_facts

# A copy of the tracked tree under ansible_collections/, which ansible-test requires. The
# captured hosts stay out: they are data named as sysfs names them (PCI addresses hold ':'),
# which ansible-test's file-name rules are not about; the unit tests read them in place.
$(BUILD): FORCE
	rm -rf .build && mkdir -p $(BUILD)
	git ls-files -z --cached --others --exclude-standard -- . ':!tests/unit/fixtures' | xargs -0 cp --parents -t $(BUILD)
	cd $(BUILD) && git init -q && git add -A

# The checkout itself, seen as ansible_collections/hypervisor/kvm, for pytest's imports.
UNITS := .cache/units/ansible_collections/hypervisor
$(UNITS)/kvm:
	mkdir -p $(UNITS) && ln -sfn $(CURDIR) $@

FORCE:

test: test-unit test-sanity test-integration test-lint test-fleet test-vm

test-unit: venv $(UNITS)/kvm
	cd $(UNITS)/kvm && PYTHONPATH=$(CURDIR)/.cache/units $(CURDIR)/$(BIN)/python -m pytest -q -p no:cacheprovider tests/unit

# ansible-test downloads a pip bootstrap script from a host outside the package index; ours
# does the same from the index, so sanity runs where only the index is reachable.
ANSIBLE_TEST_GET_PIP := $(HOME)/.ansible/test/cache/get_pip_24_2.py
$(ANSIBLE_TEST_GET_PIP): tests/tools/get_pip.py
	mkdir -p $(dir $@) && cp $< $@

test-sanity: venv $(BUILD) $(ANSIBLE_TEST_GET_PIP)
	cd $(BUILD) && $(CURDIR)/$(BIN)/ansible-test sanity --python 3.11 --color no

# The modules through Ansible on this host: live, in check mode, on captured hosts.
test-integration: venv $(BUILD)
	cd $(BUILD) && $(CURDIR)/$(BIN)/ansible-test integration --python 3.11 --local --color no

test-lint: install
	$(BIN)/yamllint -s .
	$(BIN)/ansible-lint --profile production

# The role on real QEMU virtual machines, one scenario after another (two TCG VMs at once on
# two cores do not boot in time): extensions/molecule/{default,no_virt,trixie}.
test-vm: install
	$(BIN)/molecule test --all

bench: install $(UNITS)/kvm
	PYTHONPATH=$(CURDIR)/.cache/units $(BIN)/python tests/bench/bench.py

include tests/fleet/fleet.mk

clean:
	rm -rf .build .cache .collections tests/output
