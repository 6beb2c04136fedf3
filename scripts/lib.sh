# Shared by scripts/up.sh and scripts/test.sh: a venv with the project, and a
# reachable Docker engine. Sourced, not run.
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${CLOUDY_VENV:-$REPO/.venv}
PY=${PYTHON:-python3}

note() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 2; }

# ensure_venv [EXTRA]: create .venv and install the project (with extras, e.g. test).
ensure_venv() {
  local extra=${1:-}
  command -v "$PY" >/dev/null || die "python3 is not installed: apt-get install python3 python3-venv"
  "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || die "cloudy-deploy needs Python >= 3.11 (found $("$PY" -V 2>&1)): install a newer python3"
  if [ ! -x "$VENV/bin/python" ]; then
    note "creating the virtual environment $VENV"
    "$PY" -m venv "$VENV" || die "python3 -m venv failed: apt-get install python3-venv"
  fi
  local spec="$REPO${extra:+[$extra]}"
  local stamp="$VENV/.cloudy-installed-${extra:-base}"
  if [ ! -f "$stamp" ] || [ "$REPO/pyproject.toml" -nt "$stamp" ]; then
    note "installing cloudy-deploy${extra:+ with [$extra]} into $VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet -e "$spec"
    touch "$stamp"
  fi
}

docker_reachable() {
  "$VENV/bin/python" -c 'import docker; docker.from_env(timeout=10).ping()' >/dev/null 2>&1
}

# ensure_docker: a reachable engine, plus debootstrap for the lab's base image.
# As root on Debian, install docker.io and start dockerd; elsewhere say how.
ensure_docker() {
  local can_install=0
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null && can_install=1
  if ! command -v debootstrap >/dev/null && [ $can_install = 1 ]; then
    note "installing debootstrap (builds the lab's base image)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  fi
  docker_reachable && return 0
  if [ $can_install = 0 ]; then
    die "no reachable Docker engine: install Docker (Debian: sudo apt-get install docker.io debootstrap), start it, add yourself to the docker group, then run this again"
  fi
  if ! command -v dockerd >/dev/null; then
    note "installing docker.io from Debian (no Docker engine was found)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
  fi
  if [ -d /run/systemd/system ]; then
    note "starting docker.service"
    systemctl start docker
  else
    note "starting dockerd in the background (no systemd here); log: /var/log/cloudy-dockerd.log"
    nohup dockerd >/var/log/cloudy-dockerd.log 2>&1 &
  fi
  for _ in $(seq 60); do docker_reachable && return 0; sleep 1; done
  die "dockerd did not come up in 60 s: see /var/log/cloudy-dockerd.log"
}

# ensure_chromium: Debian's chromium and chromium-driver for the browser tests (Selenium drives them;
# Playwright's own browser download is out of reach here). As root on Debian, installs them.
ensure_chromium() {
  command -v /usr/bin/chromium >/dev/null && command -v /usr/bin/chromedriver >/dev/null && return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    die "the browser tests need Debian's chromium and chromium-driver: sudo apt-get install chromium chromium-driver"
  fi
  note "installing chromium and chromium-driver from Debian (the browser tests drive them)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    chromium chromium-driver >/dev/null
}

# ensure_javac: Debian's JDK, with which molecule `apps` builds its stand-in jars (CaracalDB, GVoD).
ensure_javac() {
  command -v javac >/dev/null && command -v jar >/dev/null && return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    die "molecule apps builds its stand-in jars with javac: sudo apt-get install openjdk-17-jdk-headless"
  fi
  note "installing openjdk-17-jdk-headless from Debian (molecule apps builds its stand-in jars)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    openjdk-17-jdk-headless >/dev/null
}

# ensure_debian_panel_stack: the panel's Python packages as the boxes get them (Debian 12), so the
# panel's unit tests also run on Flask 2.2 / Flask-Babel 2.0, not only on the venv's newer ones.
ensure_debian_panel_stack() {
  /usr/bin/python3 -c 'import flask, flask_wtf, flask_babel, wtforms, cheroot, pytest' 2>/dev/null && return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    die "the panel's Debian check needs: sudo apt-get install python3-flask python3-flaskext.wtf python3-flask-babel python3-wtforms python3-cheroot python3-pytest"
  fi
  note "installing the panel's Debian packages (python3-flask & co.) for the Debian-stack check"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    python3-flask python3-flaskext.wtf python3-flask-babel python3-wtforms python3-cheroot python3-pytest >/dev/null
}

# installed_cloudy DIR: cloudy-deploy as a user installs it, outside the checkout: the wheel (which
# carries the collection) built from this checkout and pip-installed, with its [fast] extra, into a
# fresh venv DIR/venv.
# Prints that venv's python.
installed_cloudy() {
  local dir=$1
  rm -rf "$dir" && mkdir -p "$dir/dist"
  "$VENV/bin/python" -m pip wheel --quiet --quiet --no-deps -w "$dir/dist" "$REPO" >&2
  "$PY" -m venv "$dir/venv"
  local wheel
  wheel=$(echo "$dir"/dist/cloudy_deploy-*.whl)
  (cd "$dir" && "$dir/venv/bin/python" -m pip install --quiet --quiet "$wheel[fast]") >&2
  echo "$dir/venv/bin/python"
}
