#!/usr/bin/env bash
# Test-only: Slurm and munge for test/slurm (a one-node cluster started by scripts/slurm-local.sh). Idempotent;
# installs as root only. Without them the Slurm test skips (and fails where CI=true).
set -euo pipefail
source "$(dirname "$0")/../lib/debian-packages.sh"
ensure_debian_packages "[setup]" "to run the Slurm test" slurm-wlm munge || true
