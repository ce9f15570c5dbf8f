#!/usr/bin/env bash
# The WebGPU backend on a real GPU: on a fresh Linux machine with an NVIDIA GPU and its driver, sets up what is
# missing, runs the webgpu correctness tests against the CPU backend and the webgpu benchmark (CPU and paper
# presets at batch 96), and writes everything into one folder:
#   <out>/log.txt          everything printed, with the steps' times
#   <out>/system.txt       GPU, driver, Vulkan and Node versions
#   <out>/webgpu-test.txt  the correctness tests (spec reporter)
#   <out>/bench.jsonl      one JSON line per measurement (adapter, train_step img/s, hvp ratio)
#   <out>/summary.txt      the bench figures, one line each
# Usage: bash scripts/gpu-check.sh [--swiftshader] [out-dir]   (default results/gpu-check-<UTC time>); budget: under
# 8 minutes. It uses the system's Vulkan driver; --swiftshader is a dry run of the script on chromium's SwiftShader
# (CPU emulation: correctness only, and the bench shrinks to two small presets). Exit status: 0 when the tests
# passed and the bench ran.
set -uo pipefail
cd "$(dirname "$0")/.."
SWIFTSHADER=0
if [ "${1:-}" = "--swiftshader" ]; then SWIFTSHADER=1; shift; fi
# seconds for the tests and the bench: a GPU needs far less; the emulation on a busy 2-core machine, far more
TEST_LIMIT=$([ $SWIFTSHADER = 1 ] && echo 900 || echo 240)
BENCH_LIMIT=$([ $SWIFTSHADER = 1 ] && echo 900 || echo 300)
OUT="${1:-results/gpu-check-$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
exec > >(tee -a "$OUT/log.txt") 2>&1
START=$(date +%s)
step() { echo "[gpu-check] +$(( $(date +%s) - START ))s $*"; }
status=0

step "output folder: $OUT"

# --- system --------------------------------------------------------------------------------------------------
{
  echo "date: $(date -u +%FT%TZ)"
  echo "kernel: $(uname -srm)"
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || echo "nvidia-smi: not found"
  echo "node: $(node --version 2>/dev/null || echo 'not found')"
  echo "vulkan loader: $(ldconfig -p 2>/dev/null | grep -m1 'libvulkan.so.1 ' | sed 's/.*=> //' || true)"
  echo "vulkan ICDs: $(ls /etc/vulkan/icd.d/*.json /usr/share/vulkan/icd.d/*.json 2>/dev/null | tr '\n' ' ')"
  echo "VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-}"
} > "$OUT/system.txt"
cat "$OUT/system.txt"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }

major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$major" -lt 20 ]; then
  step "Node.js >= 20 is required (found: $(node --version 2>/dev/null || echo none)); install it (e.g. NodeSource or nvm) and rerun"
  exit 2
fi

if [ $SWIFTSHADER = 1 ]; then
  [ -f /usr/lib/chromium/vk_swiftshader_icd.json ] || { step "--swiftshader: chromium's SwiftShader is not installed"; exit 2; }
  export VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json
  # chromium's own Vulkan loader when the system has none
  ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1 ' || export LD_LIBRARY_PATH="/usr/lib/chromium${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  step "dry run on SwiftShader (VK_ICD_FILENAMES=$VK_ICD_FILENAMES)"
fi

# The Vulkan loader: NVIDIA's driver brings the driver, not always the loader.
if [ $SWIFTSHADER = 0 ] && ! ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1 '; then
  step "libvulkan.so.1 missing: apt-get install libvulkan1"
  as_root apt-get update -qq && as_root apt-get install -y -qq libvulkan1 || step "could not install libvulkan1 (no root/apt?)"
fi

# NVIDIA's Vulkan driver manifest: containers often get the driver libraries without nvidia_icd.json.
if [ $SWIFTSHADER = 0 ] && [ -z "${VK_ICD_FILENAMES:-}" ] && ! ls /etc/vulkan/icd.d/nvidia*.json /usr/share/vulkan/icd.d/nvidia*.json >/dev/null 2>&1; then
  glx=$(ldconfig -p 2>/dev/null | grep -m1 'libGLX_nvidia.so.0 ' | sed 's/.*=> //')
  if [ -n "$glx" ]; then
    printf '{"file_format_version": "1.0.0", "ICD": {"library_path": "%s", "api_version": "1.3.0"}}\n' "$glx" > "$OUT/nvidia_icd.json"
    export VK_ICD_FILENAMES="$OUT/nvidia_icd.json"
    step "no nvidia_icd.json installed: wrote one for $glx (VK_ICD_FILENAMES=$VK_ICD_FILENAMES)"
  else
    step "no NVIDIA Vulkan driver found (no nvidia_icd.json, no libGLX_nvidia.so.0): webgpu will report no adapter"
  fi
fi
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"

# --- set-up --------------------------------------------------------------------------------------------------
if [ ! -f node_modules/webgpu/dist/linux-x64/dawn.node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "npm ci"
  timeout 240 npm ci --no-audit --no-fund || { step "npm ci failed"; exit 2; }
fi
if [ ! -f node_modules/webgpu/dist/linux-x64/dawn.node ]; then
  step "node_modules/webgpu/dist/linux-x64/dawn.node is missing after npm ci"; exit 2
fi
# The reference backend of the correctness tests: native when it builds (needs libopenblas-dev), else tfjs cpu.
if [ ! -f native/build/Release/vitscope_native.node ] && ls native/binding.gyp >/dev/null 2>&1; then
  if ! ldconfig -p 2>/dev/null | grep -q libopenblas; then as_root apt-get install -y -qq libopenblas-dev build-essential >/dev/null 2>&1 || true; fi
  step "build the native CPU backend (reference for the tests)"
  timeout 150 npm run build:native >/dev/null 2>&1 || step "native build failed: the tests compare against tfjs cpu"
fi

# --- which adapter -------------------------------------------------------------------------------------------
step "adapter"
GPU_CHECK_BACKEND=$([ $SWIFTSHADER = 1 ] && echo webgpu || echo auto) timeout 60 node --import tsx --input-type=module -e "
  import { initBackend } from './src/backend/select.ts';
  const info = await initBackend({ backend: process.env.GPU_CHECK_BACKEND });
  console.log(JSON.stringify({ backend: info.name, adapter: info.adapter ?? null, skipped: info.skipped }));
" | tee "$OUT/adapter.json"

# --- correctness ---------------------------------------------------------------------------------------------
step "webgpu correctness tests"
VITSCOPE_WEBGPU_SYSTEM=$((1 - SWIFTSHADER)) timeout $TEST_LIMIT node --import tsx --test --test-reporter=spec test/backend/webgpu.test.ts > "$OUT/webgpu-test.txt" 2>&1
rc=$?
grep -E '✔|✖|ℹ (pass|fail|skipped)|\[webgpu-test\]' "$OUT/webgpu-test.txt" | head -80
[ $rc -eq 0 ] || { step "webgpu tests FAILED (exit $rc), see webgpu-test.txt"; status=1; }

# --- speed ---------------------------------------------------------------------------------------------------
step "bench: webgpu, CPU and paper presets at batch 96"
timeout $BENCH_LIMIT npm run --silent bench -- --backends webgpu --no-torch --no-micro > "$OUT/bench.jsonl" 2> "$OUT/bench-stderr.txt"
rc=$?
cat "$OUT/bench-stderr.txt"
[ $rc -eq 0 ] || { step "bench exit $rc (124: ran out of its $BENCH_LIMIT s)"; status=1; }
node -e '
  const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
  for (const r of lines) {
    if (r.bench === "webgpu_adapter") console.log(`adapter: ${r.description ?? r.reason} fallback=${r.fallback ?? "-"} maxBuffer=${r.maxBufferSize ?? "-"}`);
    else if (r.error) console.log(`${r.bench} ${r.model} batch ${r.batch}: ERROR ${r.error}`);
    else if (r.bench === "train_step") console.log(`train_step ${r.model} batch ${r.batch}: ${r.img_per_s} img/s (${r.step_ms} ms)`);
    else if (r.bench === "hvp") console.log(`hvp ${r.model} batch ${r.batch}: ${r.hvp_ms} ms = ${r.ratio} x value-and-gradient (${r.step_ms} ms)`);
  }' "$OUT/bench.jsonl" | tee "$OUT/summary.txt"

step "done (status $status): $OUT"
exit $status
