#!/usr/bin/env bash
# Executes every notebook headless (jupyter nbconvert --execute, tslab kernel) at its DEFAULT settings and prints
# one line per notebook with the seconds it took; the same as JSON lines in a file.
#
#   bash scripts/time-notebooks.sh [--isolated] [--small] [--jsonl FILE] [--keep DIR] [NAME ...]
#
# Order (fresh clone): 00-overview on an empty results folder (nothing trained yet), 01-train (trains the models
# 02-06 use), 02 ... 06 on 01's checkpoints, 07-imported-checkpoint. All share one fresh temporary results folder.
#   --isolated    every notebook gets its own empty results folder instead: the cost of opening any one notebook
#                 first on a fresh clone (02-06 then train their own short runs).
#   --small       CI's tiny settings (VITSCOPE_NOTEBOOK_SMALL=1) instead of the defaults.
#   --jsonl FILE  where the JSON lines go (default: results/notebook-times-<UTC time>.jsonl).
#   --keep DIR    keep the executed notebooks (and the results folder) in DIR; default: a temporary folder, removed.
#   NAME ...      only these notebooks (e.g. 02-hessian-spectra), in the order above.
# Each notebook may take at most 10 minutes here (nbconvert's cell timeout is 10 minutes as well); the goal is
# 5 minutes (01-train: 10) on a quiet 2-core machine. The load average before and after each run is recorded:
# on a loaded machine the seconds are inflated.
set -euo pipefail
caller="$(pwd)"
cd "$(dirname "$0")/.."
root="$(pwd)"

isolated=0
small=0
jsonl="$root/results/notebook-times-$(date -u +%Y%m%dT%H%M%SZ).jsonl"
keep=""
only=()
while [ $# -gt 0 ]; do
  case "$1" in
    --isolated) isolated=1 ;;
    --small) small=1 ;;
    --jsonl) jsonl="$2"; shift ;;
    --keep) keep="$2"; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    -*) echo "time-notebooks: unknown option '$1' (expected --isolated, --small, --jsonl FILE, --keep DIR)" >&2; exit 2 ;;
    *) only+=("${1%.ipynb}") ;;
  esac
  shift
done

if ! jupyter nbconvert --version >/dev/null 2>&1; then
  echo "time-notebooks: jupyter nbconvert is not installed (bash scripts/setup.sh)" >&2; exit 1
fi
if ! jupyter kernelspec list 2>/dev/null | grep -qw tslab; then
  echo "time-notebooks: the tslab kernel is not registered (bash scripts/register-kernel.sh)" >&2; exit 1
fi

order=()
for f in notebooks/00-*.ipynb notebooks/01-*.ipynb notebooks/0[2-9]-*.ipynb notebooks/[1-9][0-9]-*.ipynb; do
  [ -e "$f" ] || continue
  name="$(basename "$f" .ipynb)"
  case " ${order[*]:-} " in *" $name "*) continue ;; esac
  if [ ${#only[@]} -gt 0 ]; then
    case " ${only[*]} " in *" $name "*) ;; *) continue ;; esac
  fi
  order+=("$name")
done
if [ ${#order[@]} -eq 0 ]; then echo "time-notebooks: no notebook matches '${only[*]:-}' in notebooks/" >&2; exit 2; fi

if [ -n "$keep" ]; then
  case "$keep" in /*) ;; *) keep="$caller/$keep" ;; esac
  if [ -e "$keep" ]; then echo "time-notebooks: $keep exists; --keep wants a new folder (nothing is replaced)" >&2; exit 2; fi
  mkdir -p "$keep"; work="$(cd "$keep" && pwd)"
else
  work="$(mktemp -d "${TMPDIR:-/tmp}/vitscope-nbtime-XXXXXX")"
  trap 'rm -rf "$work"' EXIT
fi
case "$jsonl" in /*) ;; *) jsonl="$caller/$jsonl" ;; esac
mkdir -p "$(dirname "$jsonl")"
: > "$jsonl"

loadavg() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?"; }
echo "time-notebooks: ${#order[@]} notebooks, $([ $small = 1 ] && echo 'CI tiny settings' || echo 'default settings'), $([ $isolated = 1 ] && echo 'each on an empty results folder' || echo 'one shared fresh results folder'); $(nproc) cores, load average $(loadavg)"
failed=0
for name in "${order[@]}"; do
  results="$work/results"
  [ $isolated = 1 ] && results="$work/results-$name"
  mkdir -p "$results"
  load_before="$(loadavg)"
  start=$(date +%s%N)
  set +e
  ( cd notebooks && VITSCOPE_NOTEBOOK_RESULTS="$results" VITSCOPE_NOTEBOOK_SMALL="$small" timeout 660 \
      jupyter nbconvert --to notebook --execute --allow-errors --ExecutePreprocessor.kernel_name=tslab \
      --ExecutePreprocessor.timeout=600 --output-dir "$work" --output "$name" "$name.ipynb" ) > "$work/$name.log" 2>&1
  rc=$?
  set -e
  tenths=$(( ($(date +%s%N) - start) / 100000000 ))
  seconds="$((tenths / 10)).$((tenths % 10))"
  # errors: error outputs and stderr streams of the executed notebook (a cell that failed prints its message there)
  errors=$(node -e '
    const fs = require("fs");
    try {
      const nb = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
      const outs = nb.cells.flatMap((c) => c.outputs || []);
      console.log(outs.filter((o) => o.output_type === "error" || (o.output_type === "stream" && o.name === "stderr")).length);
    } catch { console.log(-1); }' "$work/$name.ipynb")
  status=ok
  if [ $rc -eq 124 ]; then status=timeout; elif [ $rc -ne 0 ] || [ "$errors" != 0 ]; then status=error; fi
  [ $status = ok ] || failed=$((failed + 1))
  printf '%-28s %7s s  %s  (load %s -> %s)\n' "$name" "$seconds" "$status" "$load_before" "$(loadavg)"
  printf '{"notebook":"%s","seconds":%s,"status":"%s","errors":%s,"small":%s,"isolated":%s,"cores":%s,"loadBefore":"%s","loadAfter":"%s","date":"%s"}\n' \
    "$name" "$seconds" "$status" "$errors" "$([ $small = 1 ] && echo true || echo false)" "$([ $isolated = 1 ] && echo true || echo false)" \
    "$(nproc)" "$load_before" "$(loadavg)" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >> "$jsonl"
  if [ $status != ok ]; then echo "  see $work/$name.log$([ -n "$keep" ] || echo ' (removed at exit; use --keep DIR)')" >&2; tail -n 5 "$work/$name.log" >&2 || true; fi
done
echo "time-notebooks: JSON lines in $jsonl"
[ $failed -eq 0 ]
