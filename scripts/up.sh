#!/usr/bin/env bash
# Quick start: a 3-box lab of real Debian boxes, then the main playbook on it.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ensure_venv
ensure_docker
cd "$REPO"
exec "$VENV/bin/cloudy" up "$@"
