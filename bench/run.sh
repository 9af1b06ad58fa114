#!/usr/bin/env bash
# The hookgate benchmark: builds in release mode, installs wrk, nginx and valgrind (Debian's
# packages) if they are missing, then runs
# examples/bench_run.rs, which prints one table and writes bench/results.json.
#
#   bench/run.sh                  # the full run (about 15 minutes on 2 cores)
#   bench/run.sh --quick          # every section, small and short (CI: a few seconds of load)
#   bench/run.sh --only ingest,e2e --keep
#
# Loopback only. See bench/README.md for what each figure means.
set -euo pipefail
cd "$(dirname "$0")/.."

# wrk drives the load, nginx is the relay yardstick, valgrind counts instructions per event.
missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || missing+=(nginx-light)
command -v valgrind >/dev/null 2>&1 || missing+=(valgrind)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "bench: installing ${missing[*]} (Debian packages)" >&2
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

cargo build --release --locked --bins --examples

# 5,000 idle connections and the load generator's 64 need descriptors on both ends.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

exec "${CARGO_TARGET_DIR:-target}/release/examples/bench_run" "$@"
