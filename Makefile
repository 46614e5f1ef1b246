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

.PHONY: all venv install run test test-unit test-sanity test-lint test-vm bench clean

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
run: install
	-$(BIN)/ansible $(LOCALHOST) -m hypervisor.kvm.kvm_check
	$(BIN)/ansible $(LOCALHOST) -m hypervisor.kvm.kvm_facts

# A copy of the tracked tree under ansible_collections/, which ansible-test requires.
$(BUILD): FORCE
	rm -rf .build && mkdir -p $(BUILD)
	git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t $(BUILD)
	cd $(BUILD) && git init -q && git add -A

FORCE:

test: test-unit test-sanity test-lint test-vm

test-unit: venv $(BUILD)
	cd $(BUILD) && $(CURDIR)/$(BIN)/python -m pytest -q -p no:cacheprovider tests/unit

test-sanity: venv $(BUILD)
	cd $(BUILD) && $(CURDIR)/$(BIN)/ansible-test sanity --python 3.11 --color no

test-lint: install
	$(BIN)/yamllint -s .
	$(BIN)/ansible-lint --profile production

test-vm: install

bench: install

clean:
	rm -rf .build .cache .collections tests/output
