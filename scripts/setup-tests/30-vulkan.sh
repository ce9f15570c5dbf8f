#!/usr/bin/env bash
# Mesa's Vulkan drivers and the Vulkan loader: the quiet-start test (test/backend/quiet-start.test.ts) checks that
# a command prints no driver or Dawn lines on a machine that has them, as a desktop Debian/Ubuntu does.
set -euo pipefail
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
need=()
for p in libvulkan1 mesa-vulkan-drivers; do have_pkg "$p" || need+=("$p"); done
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "[setup] installing test packages: ${need[*]}"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
else
  echo "[setup] missing test packages (install them as root): ${need[*]}" >&2
fi
