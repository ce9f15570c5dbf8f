#!/usr/bin/env bash
# Test-only: Slurm and munge for test/slurm (a one-node cluster started by scripts/slurm-local.sh). Idempotent;
# installs as root only. Without them the Slurm test skips (and fails where CI=true).
set -euo pipefail
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
missing=()
for p in slurm-wlm munge; do have_pkg "$p" || missing+=("$p"); done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "[setup] installing test packages: ${missing[*]}"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "[setup] missing test packages (install them as root to run the Slurm test): ${missing[*]}" >&2
fi
