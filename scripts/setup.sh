#!/usr/bin/env bash
# Idempotent set-up: system packages (when root and missing), npm dependencies, the native addon,
# and the tslab Jupyter kernel. Fast when everything is already in place.
set -euo pipefail
cd "$(dirname "$0")/.."

# --tests: also what only the tests need (a one-node Slurm cluster's packages, the pinned timm for the
# cross-checks); a user who only runs experiments does not get them.
with_tests=0
for arg in "$@"; do
  case "$arg" in
    --tests) with_tests=1 ;;
    *) echo "[setup] unknown option '$arg' (expected --tests)" >&2; exit 2 ;;
  esac
done

# shellcheck source=lib/debian-packages.sh
source scripts/lib/debian-packages.sh
ensure_debian_packages "[setup]" "for full speed and features" \
  libopenblas-dev chromium jupyter-nbconvert jupyter-client python3-ipython python3-torch python3-scipy || true

# npm dependencies: reinstall only when the lock file changed since the last install.
stamp=node_modules/.vitscope-lock-stamp
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  echo "[setup] npm ci"
  npm ci --no-audit --no-fund
  cp package-lock.json "$stamp"
fi

# The native CPU backend (needs a C++ compiler and OpenBLAS). Without it everything still runs, slowly.
if [ -f native/binding.gyp ]; then
  if [ ! -f native/build/Release/vitscope_native.node ] || [ -n "$(find native/src native/binding.gyp -newer native/build/Release/vitscope_native.node 2>/dev/null | head -1)" ]; then
    echo "[setup] building the native backend"
    npm run --silent build:native || echo "[setup] WARNING: native backend build failed; falling back to the slow wasm/cpu backends" >&2
  fi
fi

# tslab's Jupyter kernel, when Jupyter is present. Always re-registered: the kernel spec points at this
# checkout's tslab binary, and a second clone must not run the first one's.
if command -v jupyter >/dev/null; then
  bash scripts/register-kernel.sh >/dev/null || echo "[setup] WARNING: tslab kernel registration failed (notebooks will not run)" >&2
fi
if [ "$with_tests" = 1 ]; then
  for part in scripts/setup-tests/*.sh; do
    [ -f "$part" ] && bash "$part"
  done
fi
echo "[setup] ready"
