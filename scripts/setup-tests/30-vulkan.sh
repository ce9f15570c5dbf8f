#!/usr/bin/env bash
# Mesa's Vulkan drivers and the Vulkan loader: the quiet-start test (test/backend/quiet-start.test.ts) checks that
# a command prints no driver or Dawn lines on a machine that has them, as a desktop Debian/Ubuntu does.
set -euo pipefail
source "$(dirname "$0")/../lib/debian-packages.sh"
ensure_debian_packages "[setup]" "for the quiet-start test" libvulkan1 mesa-vulkan-drivers || true
