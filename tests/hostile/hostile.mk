# Hostile snapshots (included by the Makefile, which defines BIN, venv and UNITS). `make
# test-hostile`: captured hosts crafted at run time (links out of the root, FIFOs, device nodes,
# loops, huge and sparse files, non-UTF-8 names, wrong file types) through kvm_facts and
# kvm_check, one process per run and once through ansible; run as root for the device nodes.
.PHONY: test-hostile

test-hostile: venv $(UNITS)/kvm
	cd $(UNITS)/kvm && PYTHONPATH=$(CURDIR)/.cache/units $(CURDIR)/$(BIN)/python -m pytest -q -p no:cacheprovider tests/hostile
