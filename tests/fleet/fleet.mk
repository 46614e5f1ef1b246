# Fleet scale (included by the Makefile, which defines BIN, venv, install and exports
# ANSIBLE_COLLECTIONS_PATH). `make test-fleet`: the report playbook against 204 hosts over real
# SSH (sshd processes started and stopped by the test), its page in headless chromium, and the
# execution environment's build context. `make bench-fleet`: kvm_facts, ping and setup across
# 50, 100 and 200 hosts at the same forks, and the report end to end.
.PHONY: test-fleet bench-fleet fleet-packages

# Debian packages the fleet tests need: the browser, sshd for the fleet, sudo for become, a font for screenshots.
FLEET_PACKAGES := chromium openssh-server openssh-client sudo fonts-dejavu-core

fleet-packages:
	@missing=""; for p in $(FLEET_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "apt-get install$$missing"; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

test-fleet: install fleet-packages
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/fleet

bench-fleet: install fleet-packages
	$(BIN)/python tests/fleet/bench_fleet.py
