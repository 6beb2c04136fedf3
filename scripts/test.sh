#!/usr/bin/env bash
# Every test, in tiers: lint, unit (no containers; then the panel in a real browser), lab (containers), molecule (one scenario per role).
#   scripts/test.sh            all tiers
#   scripts/test.sh unit       only the fast tier (also: lint, lab, molecule)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
tier=${1:-all}
case "$tier" in all|lint|unit|lab|molecule) ;; *) die "unknown tier '$tier': use all, lint, unit, lab or molecule";; esac
ensure_venv test
cd "$REPO"
export PATH="$VENV/bin:$PATH"

if [ "$tier" = all ] || [ "$tier" = lint ]; then
  note "lint: ruff, ansible-lint (production profile)"
  # The Python that runs on boxes or in Ansible's process, scripts without .py included.
  # (.py files of the collection are found by ruff itself).
  roles=ansible_collections/clommunity/cloudy/roles
  boxside=($roles/tinc/files/tinc-helper $roles/avahi_dns/files/avahi-dns $roles/dns/files/cloudy-dns-prune
    $roles/tahoe/files/tahoe-wait-listen)
  ruff check cloudy_deploy cloudy_panel ansible_collections tests benchmarks "${boxside[@]}"
  ruff format --check cloudy_deploy cloudy_panel ansible_collections tests benchmarks "${boxside[@]}"
  ansible-lint
fi
if [ "$tier" = all ] || [ "$tier" = unit ]; then
  note "unit tests, two at a time"
  pytest -m "not lab and not molecule and not browser" -n 2 tests
  note "browser tests (Debian's chromium, headless, against the panel on loopback)"
  ensure_chromium
  CLOUDY_NO_SKIP=1 pytest -m browser tests
  note "the panel on Debian 12's own python3-flask & co. (what the boxes run)"
  ensure_debian_panel_stack
  /usr/bin/python3 -m pytest -p no:cacheprovider -o addopts="" tests/unit/test_panel_web.py \
    tests/unit/test_panel_web_parts.py tests/unit/test_panel_web_i18n.py tests/unit/test_panel_web_contract.py
fi
if [ "$tier" = all ] || [ "$tier" = molecule ]; then
  ensure_javac
fi
if [ "$tier" = all ] || [ "$tier" = lab ] || [ "$tier" = molecule ]; then
  ensure_docker
  CLOUDY_NODE_IMAGE=$(cloudy lab image)
  export CLOUDY_NODE_IMAGE
  note "node image: $CLOUDY_NODE_IMAGE"
fi
# The lab tests run `cloudy` as a user installs it: the wheel, pip-installed into a fresh venv
# outside the checkout (CLOUDY_TEST_PYTHON, tests/conftest.py).
if [ "$tier" = all ] || [ "$tier" = lab ]; then
  note "building cloudy-deploy's wheel and installing it outside the checkout, for the lab tests"
  CLOUDY_TEST_PYTHON=$(installed_cloudy "$(mktemp -d)/installed")
  export CLOUDY_TEST_PYTHON
fi
# A skip (no Docker, no image) fails these tiers. Two at a time (pytest-xdist): alone, a scenario keeps
# the 2 cores only half to two thirds busy (Ansible waits on boxes, apt, sleeps; benchmarks/molecule_cpu.py).
# The lab tests stay on one worker, one after another (tests/scheduling.py); --durations=0 prints
# each test's time.
if [ "$tier" = all ]; then
  note "lab tests (real systemd containers) and molecule scenarios, two at a time"
  CLOUDY_NO_SKIP=1 pytest -m "lab or molecule" -n 2 --dist loadgroup --durations=0 tests
elif [ "$tier" = lab ]; then
  note "lab tests (real systemd containers)"
  CLOUDY_NO_SKIP=1 pytest -m lab --durations=0 tests
elif [ "$tier" = molecule ]; then
  note "molecule scenarios, two at a time"
  CLOUDY_NO_SKIP=1 pytest -m molecule -n 2 --dist loadgroup --durations=0 tests
fi
