#!/usr/bin/env bash
# Registers the tslab Jupyter kernel ("tslab", language typescript) for this checkout.
#
# Why not just `npx tslab install --python=python3`: `python3` on PATH may be a python without
# jupyter_client (e.g. a pyenv shim shadowing Debian's /usr/bin/python3), and the kernel spec it
# writes runs a bare `tslab` that is not on PATH when tslab is a local npm dependency. This script
# picks a python that has jupyter_client and points the kernel at this checkout's tslab binary.
# Idempotent; re-run after moving the checkout.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
tslab_bin="$root/node_modules/.bin/tslab"
if [ ! -x "$tslab_bin" ]; then
  echo "[register-kernel] $tslab_bin not found: run npm ci first" >&2
  exit 1
fi
py=""
for cand in "${PYTHON:-}" /usr/bin/python3 python3 python; do
  [ -n "$cand" ] || continue
  command -v "$cand" >/dev/null 2>&1 || continue
  if "$cand" -c 'import jupyter_client, IPython' >/dev/null 2>&1; then py="$cand"; break; fi
done
if [ -z "$py" ]; then
  echo "[register-kernel] no python with jupyter_client and IPython found (apt-get install jupyter-client python3-ipython)" >&2
  exit 1
fi
"$py" "$root/node_modules/tslab/python/install.py" --tslab="$tslab_bin" "$@"
jupyter kernelspec list 2>/dev/null | grep -E '\b(tslab|jslab)\b' || true
