#!/usr/bin/env bash
# The one way to run redisgrade's tests, on a fresh Debian machine or a set-up one:
#
#   ./test.sh            set up what is missing, then go vet, deadcode, staticcheck, go test -race ./..., fuzz runs
#   ./test.sh --setup    set up only, and leave a Docker engine running for `go test` by hand
#   ./test.sh --stress N set up, then run go test -race ./... N times in a row with a CPU hog (stress-ng) on
#                        every core; it stops at the first failing run (the suite must hold on a busy machine)
#
# Set-up installs only what is missing, so a second run installs nothing:
#   - Debian packages: redis-server (the process engine and end-to-end tests), chromium (the class report and
#     web pages are checked in a headless browser), tmux (student commands are tested in a real terminal),
#     docker.io (the docker engine), libxml2-utils (xmllint validates the JUnit output), perl's prove (reads
#     the TAP output), nodejs and npm (node's tap-parser reads the TAP output too; Playwright drives Chromium
#     through the play page; esbuild rebuilds its bundle), zsh and fish (the completion
#     scripts run in them). As root, else through sudo; otherwise it names the packages to install and stops.
#   - a Docker engine: one already answering is used as it is; otherwise dockerd is started for the run and
#     stopped after it (only the one this script started).
#   - the Redis test image, built offline from the local redis-server (testdata/redis-image/README.md).
#   - npm packages from the committed lock file, where a package-lock.json exists.
set -euo pipefail
cd "$(dirname "$0")"
export PATH="$PATH:/usr/local/go/bin"
export DEBIAN_FRONTEND=noninteractive

setup_only=false
stress_runs=0
case "${1:-}" in
"") ;;
--setup) setup_only=true ;;
--stress)
  stress_runs=${2:-}
  if ! [[ $stress_runs =~ ^[1-9][0-9]*$ ]]; then
    echo "test.sh: --stress needs a number of runs, such as --stress 3" >&2
    exit 2
  fi
  ;;
-h | --help)
  sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
  ;;
*)
  echo "test.sh: unknown argument $1 (try --help)" >&2
  exit 2
  ;;
esac

began=$SECONDS
say() { echo "--- $*"; }

# --- Debian packages, where missing
missing=()
need() { command -v "$1" >/dev/null 2>&1 || missing+=("$2"); }
need redis-server redis-server
need chromium chromium
need tmux tmux
need dockerd docker.io
need docker docker.io
need xmllint libxml2-utils
need prove perl
need node nodejs
need npm npm
need zsh zsh
need fish fish
if ((stress_runs)); then need stress-ng stress-ng; fi
if ((${#missing[@]})); then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  if ((EUID == 0)); then
    as_root=()
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
  else
    echo "test.sh: the tests need these Debian packages, and this user cannot install them (not root, no sudo):" >&2
    echo "  apt-get install ${missing[*]}" >&2
    exit 1
  fi
  say "apt-get install ${missing[*]}"
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
redis-server --version

# --- a Docker engine: the docker engine's tests need one, and a Redis image (no registry is reachable here, so
# the image is built from the redis-server above).
docker_up() { timeout 5 docker info >/dev/null 2>&1; }
dockerd_pid=""
stop_dockerd() {
  if [[ -n $dockerd_pid ]]; then
    kill "$dockerd_pid" 2>/dev/null || true
    wait "$dockerd_pid" 2>/dev/null || true
    dockerd_pid=""
  fi
}
if ! docker_up; then
  if ((EUID != 0)); then
    echo "test.sh: no Docker engine answers, and only root can start one here: start dockerd (or join the docker group)" >&2
    exit 1
  fi
  say "start a Docker engine"
  # Pid files of a dockerd or containerd killed with an earlier run: dockerd refuses to start while the pid in
  # them is alive, and after a reboot it may be someone else's.
  for pidfile in /var/run/docker.pid:dockerd /var/run/docker/containerd/containerd.pid:containerd; do
    file=${pidfile%%:*} name=${pidfile##*:}
    if [[ -f $file ]] && [[ $(cat "/proc/$(cat "$file")/comm" 2>/dev/null) != "$name" ]]; then
      rm -f "$file"
    fi
  done
  $setup_only || trap stop_dockerd EXIT
  log=${TMPDIR:-/tmp}/redisgrade-dockerd.log
  # Plain flags work on most machines; the others are for machines without overlayfs or iptables.
  for flags in "" "--storage-driver=vfs" "--storage-driver=vfs --iptables=false"; do
    # shellcheck disable=SC2086
    if $setup_only; then
      nohup dockerd $flags >"$log" 2>&1 &
    else
      dockerd $flags >"$log" 2>&1 &
    fi
    dockerd_pid=$!
    for _ in $(seq 1 60); do
      if docker_up || ! kill -0 "$dockerd_pid" 2>/dev/null; then break; fi
      sleep 0.5
    done
    if docker_up; then
      echo "dockerd ${flags:-(default flags)} is up"
      break
    fi
    echo "dockerd ${flags:-(default flags)} did not come up:"
    tail -n 15 "$log"
    stop_dockerd
  done
  if ! docker_up; then
    echo "test.sh: no Docker engine answers and none could be started (see $log)" >&2
    exit 1
  fi
  if $setup_only; then
    echo "dockerd (pid $dockerd_pid) stays up for tests run by hand; stop it with: kill $dockerd_pid"
  fi
fi
docker version --format 'Docker engine {{.Server.Version}} (API {{.Server.APIVersion}})'
REDISGRADE_TEST_IMAGE=$(testdata/redis-image/build.sh)
export REDISGRADE_TEST_IMAGE
echo "test image: $REDISGRADE_TEST_IMAGE"

# --- the version matrix's servers (testdata/servers/README.md) --------------------------------------------------
# Redis 8.0.2, Valkey 8.0.1 and 8.1.1 from Debian's own packages, each with its own libraries, fetched under a
# private apt configuration (the machine's apt sources are never touched) and cached in
# ${XDG_CACHE_HOME:-~/.cache}/redisgrade/servers, so that a second run fetches nothing; and a FROM-scratch image of
# Valkey 8.1.1 for the docker engine. The matrix tests (grader, authoring, engine, cmd/redisgrade) grade on each.
REDISGRADE_TEST_SERVERS=$(testdata/servers/fetch.sh)
REDISGRADE_TEST_MATRIX_IMAGE=$(testdata/servers/image.sh valkey-8.1.1)
export REDISGRADE_TEST_SERVERS REDISGRADE_TEST_MATRIX_IMAGE
echo "version matrix: REDISGRADE_TEST_SERVERS=$REDISGRADE_TEST_SERVERS REDISGRADE_TEST_MATRIX_IMAGE=$REDISGRADE_TEST_MATRIX_IMAGE"
# --- end of the version matrix's servers ---------------------------------------------------------------------------

# --- npm packages, from the committed lock file
if [[ -f package-lock.json ]]; then
  if [[ ! -d node_modules ]] || ! npm ls --silent >/dev/null 2>&1; then
    say "npm ci"
    npm ci --no-audit --no-fund
  fi
fi
go mod download
echo "set-up took $((SECONDS - began)) s"
if $setup_only; then
  echo "set up: run the tests with REDISGRADE_TEST_ALL=1 REDISGRADE_TEST_IMAGE=$REDISGRADE_TEST_IMAGE go test -race ./..."
  exit 0
fi

# --- every tier: a test needing a tool set up above (Docker, Chromium, node, prove, xmllint, tmux, zsh, fish) fails
# where it is missing, instead of being skipped as in a plain `go test ./...` (internal/tiers).
export REDISGRADE_TEST_ALL=1

if ((stress_runs)); then
  stress-ng --cpu 0 --quiet &
  hog=$!
  trap 'kill $hog 2>/dev/null || true; stop_dockerd' EXIT
  for run in $(seq 1 "$stress_runs"); do
    run_began=$SECONDS
    say "go test -race ./... under stress-ng --cpu $(nproc): run $run of $stress_runs"
    go test -race -count=1 -timeout 20m ./...
    echo "run $run passed in $((SECONDS - run_began)) s"
  done
  exit 0
fi

tests_began=$SECONDS
say "go vet"
go vet ./...

# Code that nothing but a test reaches belongs in the test (or in a package of test helpers).
say "deadcode"
dead=$(go run golang.org/x/tools/cmd/deadcode@v0.52.0 ./... | grep -v -E '^(internal/ziptest|internal/redistest|internal/tiers|report/reporttest)/' || true)
if [[ -n $dead ]]; then
  echo "$dead"
  echo "test.sh: the code above is unreachable from the binary: remove it, or move it to the tests that use it" >&2
  exit 1
fi

# staticcheck's default checks and package comments (staticcheck.conf); pinned, as deadcode is.
say "staticcheck"
go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

say "go test -race ./..."
# -timeout: no package takes 2 minutes on an idle 2-core machine, but a CPU hog on both cores (./test.sh --stress)
# can triple that, near go test's default of 10 per package; a hung test still fails, at 20.
go test -race -count=1 -timeout 20m ./...

say "fuzz briefly"
go test -run='^$' -fuzz=FuzzParseCommands -fuzztime=15s ./submissions
go test -run='^$' -fuzz=FuzzParseSpec -fuzztime=15s ./exercises
echo "tests took $((SECONDS - tests_began)) s (set-up $((tests_began - began)) s)"
