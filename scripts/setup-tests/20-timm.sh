#!/usr/bin/env bash
# The pinned timm for test/crosscheck's timm comparisons: a virtual environment at .venv/timm over Debian's
# python3-torch and python3-torchvision (--system-site-packages), timm itself installed with --no-deps so pip
# never replaces Debian's torch. Idempotent: fast when the pinned version already imports.
set -euo pipefail
cd "$(dirname "$0")/../.."

timm_version=1.0.29
safetensors_version=0.8.0
venv=.venv/timm
python=/usr/bin/python3

# Debian packages timm needs at import time (pyyaml, torchvision) and the venv module. huggingface_hub has no
# Debian package in bookworm and timm imports it lazily (only to download weights, which the tests never do).
# safetensors has none either: it comes from pip (--no-deps; it needs only torch) so that the tests write
# safetensors files with the library timm users save with.
source scripts/lib/debian-packages.sh
ensure_debian_packages "[setup-tests/timm]" "the timm cross-checks need them" python3-venv python3-torch python3-torchvision python3-yaml || exit 1

installed() { "$venv/bin/python" -c "import sys, $1; sys.exit($1.__version__ != '$2')" 2>/dev/null; }
if [ -x "$venv/bin/python" ] && installed timm "$timm_version" && installed safetensors "$safetensors_version"; then
  echo "[setup-tests/timm] timm $timm_version ready in $venv"
  exit 0
fi

[ -x "$venv/bin/python" ] || "$python" -m venv --system-site-packages "$venv"
"$venv/bin/python" -m pip install --quiet --no-deps "timm==$timm_version" "safetensors==$safetensors_version"
# The check the tests rely on: timm builds a model over Debian's torch.
"$venv/bin/python" -c "import timm, torch; timm.create_model('vit_tiny_patch16_224', pretrained=False); print('[setup-tests/timm] timm', timm.__version__, 'over torch', torch.__version__, 'in $venv')"
