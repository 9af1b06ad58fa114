#!/usr/bin/env bash
# The hookgate benchmark: builds in release mode, installs wrk if it is missing, then runs
# examples/bench_run.rs, which prints one table and writes bench/results.json.
#
#   bench/run.sh                  # the full run (about 10 minutes on 2 cores)
#   bench/run.sh --quick          # every section, small and short (CI: a few seconds of load)
#   bench/run.sh --only ingest,e2e --keep
#
# Loopback only. See bench/README.md for what each figure means.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v wrk >/dev/null 2>&1; then
  echo "bench: installing wrk (Debian package)" >&2
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq wrk >/dev/null
fi

cargo build --release --locked --bins --examples

# 5,000 idle connections and the load generator's 64 need descriptors on both ends.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

exec "${CARGO_TARGET_DIR:-target}/release/examples/bench_run" "$@"
