#!/usr/bin/env bash
# Start a real one-node SLURM cluster (Debian's slurm-wlm + munge) on this machine, installing it first if missing.
# Idempotent: when the node already answers idle/mixed it only prints the status line. CI runs it before `make test`;
# scripts/stop_local_slurm.sh stops it. Daemon state, logs and pid files live under $ARCHBENCH_SLURM_DIR.
set -euo pipefail

STATE_DIR=${ARCHBENCH_SLURM_DIR:-/var/tmp/archbench-slurm}
CONF=/etc/slurm/slurm.conf # where Debian 12's slurm-wlm binaries read their configuration
MUNGE_KEY=/etc/munge/munge.key
MARKER="# Written by archbench scripts/start_local_slurm.sh"
HOST=$(hostname -s)
WAIT_S=60
PATH=$PATH:/usr/sbin:/sbin # the daemons live in sbin, which users other than root often lack on PATH

die() {
  echo "start_local_slurm: $*" >&2
  exit 1
}

is_root() { [ "$(id -u)" -eq 0 ]; }

have_binaries() {
  command -v sinfo >/dev/null && command -v slurmctld >/dev/null && command -v slurmd >/dev/null &&
    command -v munged >/dev/null
}

munge_up() { munge -n 2>/dev/null | unmunge >/dev/null 2>&1; }

# /proc rather than kill -0, which fails for a user other than the daemon's.
pid_alive() {
  local pid
  pid=$(cat "$1" 2>/dev/null || true)
  [ -n "$pid" ] && [ -d "/proc/$pid" ]
}

slurm_daemons_alive() { pid_alive "$STATE_DIR/slurmctld.pid" && pid_alive "$STATE_DIR/slurmd.pid"; }

# The node's state as sinfo prints it (idle, mixed, down*, drained ...); empty while slurmctld does not answer.
node_state() { timeout 10 sinfo -h -n "$HOST" -o %T 2>/dev/null | head -n 1 || true; }

# States in which the node takes jobs; a trailing * (not responding) or ~ (powered off) means it does not.
is_ready() { [[ $1 =~ ^(idle|mixed|allocated|completing|planned)$ ]]; }

report() {
  local cpus
  cpus=$(sinfo -h -n "$HOST" -o %c | head -n 1)
  echo "local SLURM cluster up: node $HOST, partition debug, $cpus CPUs"
}

install_packages() {
  is_root || die "slurm-wlm and munge are not installed; installing them needs root: run 'sudo $0'"
  local log=/tmp/archbench-slurm-apt.log
  echo "installing slurm-wlm and munge with apt-get (log: $log)"
  if ! { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends slurm-wlm munge; } >"$log" 2>&1; then
    die "apt-get install slurm-wlm munge failed; see $log"
  fi
  have_binaries || die "apt-get installed slurm-wlm and munge but sinfo/slurmctld/slurmd/munged are not on PATH"
}

start_munge() {
  munge_up && return 0
  # munged refuses a key it cannot trust: it must belong to the munge user and be readable by it alone.
  if [ ! -s "$MUNGE_KEY" ]; then
    install -d -o munge -g munge -m 0700 /etc/munge
    dd if=/dev/urandom of="$MUNGE_KEY" bs=1024 count=1 status=none
  fi
  chown munge:munge "$MUNGE_KEY"
  chmod 0400 "$MUNGE_KEY"
  # systemd-tmpfiles makes /run/munge on a booted machine; containers and CI runners may have no systemd.
  install -d -o munge -g munge -m 0755 /run/munge
  su -s /bin/sh munge -c /usr/sbin/munged || die "munged did not start; see /var/log/munge/munged.log"
  for _ in $(seq 20); do
    munge_up && return 0
    sleep 0.5
  done
  die "munged started but 'munge -n | unmunge' still fails; see /var/log/munge/munged.log"
}

slurm_config() {
  local cpus mem_mb
  cpus=$(nproc)
  # slurmd drains a node whose real memory is below the configured one, so stay a little under what the kernel reports.
  mem_mb=$(($(free -m | awk '/^Mem:/ {print $2}') * 95 / 100))
  cat <<EOF
$MARKER: a one-node cluster for tests and CI.
# Rewritten on each start; edits are lost.
ClusterName=archbench
# The explicit address keeps the cluster working where the host name does not resolve.
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=$STATE_DIR/slurmctld
SlurmdSpoolDir=$STATE_DIR/slurmd
SlurmctldPidFile=$STATE_DIR/slurmctld.pid
SlurmdPidFile=$STATE_DIR/slurmd.pid
SlurmctldLogFile=$STATE_DIR/slurmctld.log
SlurmdLogFile=$STATE_DIR/slurmd.log
# No cgroups: they are not available everywhere CI runs, and one trusted user needs no isolation.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
# Start batch jobs as soon as they are submitted; the default 3 s delay would triple the turnaround of small test jobs.
SchedulerParameters=batch_sched_delay=0
SelectType=select/cons_tres
# Cores are the only consumable resource: memory is not tracked, so jobs never need --mem and are never killed for it.
SelectTypeParameters=CR_Core
# A node that was down for not responding returns by itself once slurmd registers again.
ReturnToService=2
MpiDefault=none
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF
}

config_current() { [ -f "$CONF" ] && [ "$(cat "$CONF")" = "$(slurm_config)" ]; }

# Write slurm.conf when it differs from what this machine needs, stopping daemons that run on the old one.
write_config() {
  config_current && return 0
  if [ -f "$CONF" ] && ! grep -qF "$MARKER" "$CONF"; then
    die "$CONF exists and was not written by this script; move it away to let it set up a local cluster"
  fi
  if [ -f "$CONF" ]; then
    bash "$(dirname "$0")/stop_local_slurm.sh"
  fi
  install -d /etc/slurm
  slurm_config >"$CONF"
}

SLURMD_STARTED=0 # when this run started slurmd, in seconds since the epoch

start_slurm() {
  mkdir -p "$STATE_DIR/slurmctld" "$STATE_DIR/slurmd"
  pid_alive "$STATE_DIR/slurmctld.pid" || slurmctld || die "slurmctld did not start; see $STATE_DIR/slurmctld.log"
  if ! pid_alive "$STATE_DIR/slurmd.pid"; then
    SLURMD_STARTED=$(date +%s)
    slurmd || die "slurmd did not start; see $STATE_DIR/slurmd.log"
  fi
}

# A restarted slurmctld reports the node state it saved before the new slurmd has registered; wait for the registration.
slurmd_registered() {
  local since
  since=$(scontrol show node "$HOST" 2>/dev/null | sed -n 's/.*SlurmdStartTime=\([^ ]*\).*/\1/p')
  [ -n "$since" ] && [ "$(date -d "$since" +%s 2>/dev/null || echo 0)" -ge "$SLURMD_STARTED" ]
}

wait_until_ready() {
  local state resumed=no deadline=$((SECONDS + WAIT_S))
  while true; do
    state=$(node_state)
    is_ready "$state" && slurmd_registered && return 0
    # A drain or an admin 'down' survives restarts of the daemons; only an explicit resume clears it.
    if [[ $resumed == no && $state =~ ^(down|drain|fail) ]]; then
      scontrol update nodename="$HOST" state=resume >/dev/null 2>&1 || true
      resumed=yes
    fi
    if ((SECONDS >= deadline)); then
      die "node $HOST is '${state:-not answering}' after ${WAIT_S} s; see $STATE_DIR/slurmctld.log and $STATE_DIR/slurmd.log"
    fi
    sleep 0.5
  done
}

# Check the pid files before asking sinfo: with no slurmctld, sinfo spends about 10 s retrying, and for minutes after
# slurmd dies slurmctld still reports the node idle.
if have_binaries && config_current && slurm_daemons_alive && munge_up && is_ready "$(node_state)"; then
  report
  exit 0
fi
have_binaries || install_packages
is_root || die "the local SLURM cluster is not up; starting or reconfiguring it needs root: run 'sudo $0'"
write_config # first: a changed configuration stops the running daemons, munged included
start_munge
start_slurm
wait_until_ready
report
