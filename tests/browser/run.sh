#!/usr/bin/env bash
# The dashboard end to end in headless Chromium: Debian's chromium driven by playwright-core
# (pinned in package-lock.json; no browser download). Needs a built binary (cargo build).
# Screenshots go to target/dashboard-shots/.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

if [ ! -x /usr/bin/chromium ]; then
  sudo_if_needed=""
  if [ "$(id -u)" != 0 ]; then sudo_if_needed="sudo"; fi
  $sudo_if_needed apt-get update
  $sudo_if_needed apt-get install -y chromium chromium-driver
fi

cd "$here"
npm ci --no-audit --no-fund --silent
HOOKGATE_BIN="${HOOKGATE_BIN:-${CARGO_TARGET_DIR:-$root/target}/debug/hookgate}" \
  SHOTS_DIR="${SHOTS_DIR:-$root/target/dashboard-shots}" \
  node dashboard.test.mjs
