#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for `--executor slurm` tests and trials (Debian's slurm-wlm and munge;
# install them with `bash scripts/setup.sh --tests` or `apt-get install slurm-wlm munge`; run as root).
#
#   bash scripts/slurm-local.sh start    # munged + slurmctld + slurmd; returns when `sinfo` shows the node idle
#   bash scripts/slurm-local.sh status   # exit 0 when all three daemons are alive and the node answers
#   bash scripts/slurm-local.sh stop     # stops the three daemons by the pids they wrote
#   bash scripts/slurm-local.sh env      # prints `export SLURM_CONF=...` for `eval`
#
# Everything (config, munge socket and key copy, state, spool, logs, pid files) lives in one scratch folder,
# $VITSCOPE_SLURM_DIR (default /tmp/vitscope-slurm), so nothing under /etc or /run is changed and a second
# cluster can live beside a system one. Clients find it through SLURM_CONF=<dir>/slurm.conf.
# Ports: VITSCOPE_SLURM_PORT (slurmctld, default 6817) and the next one (slurmd).
set -euo pipefail

dir="${VITSCOPE_SLURM_DIR:-/tmp/vitscope-slurm}"
case "$dir" in /*) ;; *) dir="$PWD/$dir" ;; esac # slurmctld -f fails on relative paths
ctld_port="${VITSCOPE_SLURM_PORT:-6817}"
slurmd_port=$((ctld_port + 1))
conf="$dir/slurm.conf"
socket="$dir/munge/munge.socket.2"

say() { echo "[slurm-local] $*" >&2; }
die() { say "$*"; exit 1; }

pid_of() { # the pid a daemon wrote, when that process is still alive
  local file="$dir/$1.pid" pid
  [ -f "$file" ] || return 1
  pid="$(tr -dc '0-9' <"$file")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

need_binaries() {
  local missing=()
  for b in munged slurmctld slurmd sinfo sbatch squeue scancel; do
    command -v "$b" >/dev/null 2>&1 || [ -x "/usr/sbin/$b" ] || missing+=("$b")
  done
  [ ${#missing[@]} -eq 0 ] || die "missing: ${missing[*]} (install with: apt-get install slurm-wlm munge, or bash scripts/setup.sh --tests)"
}

bin() { command -v "$1" 2>/dev/null || echo "/usr/sbin/$1"; }

write_config() {
  local host cpus mem_mib
  host="$(hostname -s)"
  cpus="$(nproc)"
  # a little under MemTotal: slurmd drains a node that reports less memory than configured
  mem_mib=$(( $(awk '/^MemTotal:/ { print $2 }' /proc/meminfo) / 1024 * 9 / 10 ))
  mkdir -p "$dir/state" "$dir/spool" "$dir/log" "$dir/munge"
  cat >"$conf.tmp" <<EOF
# written by scripts/slurm-local.sh: a one-node cluster for tests
ClusterName=vitscope-local
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$socket
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
# a cancelled task is killed soon (tests cancel tasks that wait in a fault point)
KillWait=2
# finished jobs stay visible to scontrol for a while (their exit codes)
MinJobAge=600
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
NodeName=$host NodeAddr=127.0.0.1 NodeHostname=$host CPUs=$cpus RealMemory=$mem_mib State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
  mv "$conf.tmp" "$conf"
}

start_munge() {
  if pid_of munged >/dev/null; then return; fi
  # munged checks that its key is private and owned by root or munge: a copy in our folder
  local key="$dir/munge/munge.key"
  if [ ! -f "$key" ]; then
    if [ -r /etc/munge/munge.key ]; then cp /etc/munge/munge.key "$key"
    else dd if=/dev/urandom of="$key" bs=1 count=1024 status=none
    fi
  fi
  chmod 700 "$dir" "$dir/munge"
  chmod 400 "$key"
  "$(bin munged)" --force --socket="$socket" --key-file="$key" --pid-file="$dir/munged.pid" \
    --log-file="$dir/log/munged.log" --seed-file="$dir/munge/munged.seed" 2>>"$dir/log/munged.stderr" \
    || die "munged did not start (see $dir/log/munged.log and $dir/log/munged.stderr)"
  for _ in $(seq 50); do [ -S "$socket" ] && return; sleep 0.1; done
  die "munged started but its socket $socket did not appear (see $dir/log/munged.log)"
}

node_state() { SLURM_CONF="$conf" sinfo -h -N -o '%T' 2>/dev/null | head -1; }

start() {
  need_binaries
  [ "$(id -u)" = 0 ] || die "run as root (slurmd runs jobs as root here)"
  mkdir -p "$dir"
  if pid_of slurmctld >/dev/null && pid_of slurmd >/dev/null && pid_of munged >/dev/null; then
    say "already running (SLURM_CONF=$conf)"
  else
    write_config
    start_munge
    export SLURM_CONF="$conf"
    # -c: a clean start (no jobs from an earlier cluster in this folder)
    pid_of slurmctld >/dev/null || "$(bin slurmctld)" -c -f "$conf" >>"$dir/log/slurmctld.stderr" 2>&1 \
      || die "slurmctld did not start (see $dir/log/slurmctld.log)"
    pid_of slurmd >/dev/null || "$(bin slurmd)" -c -f "$conf" >>"$dir/log/slurmd.stderr" 2>&1 \
      || die "slurmd did not start (see $dir/log/slurmd.log)"
  fi
  local state='' i name
  for i in $(seq 120); do
    # our daemons must be the ones answering (another cluster on the same port would answer too)
    if [ "$i" -gt 6 ]; then
      for name in munged slurmctld slurmd; do
        pid_of "$name" >/dev/null || die "$name exited (port $ctld_port or $slurmd_port taken? see $dir/log/$name.log and $dir/log/$name.stderr)"
      done
    fi
    state="$(node_state)"
    case "$state" in idle|mixed|allocated) [ "$i" -gt 6 ] && { say "ready: node $(hostname -s) $state (SLURM_CONF=$conf)"; return; } ;; esac
    sleep 0.5
  done
  die "the node did not become idle within 60 s (last state '${state:-none}'); see $dir/log/slurmctld.log and $dir/log/slurmd.log"
}

stop() {
  local name pid jobs
  # jobs first: their processes (slurmstepd and what it runs) would outlive slurmd
  if pid_of slurmctld >/dev/null; then
    jobs="$(SLURM_CONF="$conf" squeue -h -o '%A' 2>/dev/null | sort -u | tr '\n' ' ')"
    if [ -n "${jobs// /}" ]; then
      # shellcheck disable=SC2086
      SLURM_CONF="$conf" scancel $jobs 2>/dev/null || true
      for _ in $(seq 60); do
        [ -z "$(SLURM_CONF="$conf" squeue -h -o '%A' 2>/dev/null)" ] && break
        sleep 0.5
      done
      say "cancelled job(s) $jobs"
    fi
  fi
  for name in slurmd slurmctld munged; do
    if pid="$(pid_of "$name")"; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
      say "stopped $name ($pid)"
    fi
    rm -f "$dir/$name.pid"
  done
}

status() {
  local ok=0 name pid
  for name in munged slurmctld slurmd; do
    if pid="$(pid_of "$name")"; then say "$name running ($pid)"; else say "$name not running"; ok=1; fi
  done
  [ $ok = 0 ] || return 1
  local state; state="$(node_state)"
  say "node state: ${state:-no answer}"
  [ -n "$state" ]
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  env) echo "export SLURM_CONF=$conf" ;;
  *) echo "usage: bash scripts/slurm-local.sh start|stop|status|env  (state in \$VITSCOPE_SLURM_DIR, default /tmp/vitscope-slurm)" >&2; exit 2 ;;
esac
