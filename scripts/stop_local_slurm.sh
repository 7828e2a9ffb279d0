#!/usr/bin/env bash
# Stop the one-node SLURM cluster that scripts/start_local_slurm.sh started: cancel every job, then stop slurmd,
# slurmctld and munged. Safe to run when nothing is running.
set -euo pipefail

CONF=/etc/slurm/slurm.conf
MUNGE_PID=/run/munge/munged.pid

[ "$(id -u)" -eq 0 ] || {
  echo "stop_local_slurm: stopping the local SLURM cluster needs root: run 'sudo $0'" >&2
  exit 1
}

conf_value() { sed -n "s/^$1=//p" "$CONF" 2>/dev/null | tail -n 1; }

# Send TERM to the processes named in these pid files, wait for them to exit, and KILL those left after 10 s.
stop_pidfiles() {
  local pidfile pid pids=() alive
  for pidfile in "$@"; do
    [ -n "$pidfile" ] || continue
    # Read the pid before the kill: the daemons delete their pid files as they exit.
    pid=$(cat "$pidfile" 2>/dev/null || true)
    if [ -n "$pid" ] && kill "$pid" 2>/dev/null; then pids+=("$pid"); fi
  done
  for _ in $(seq 20); do
    alive=()
    for pid in "${pids[@]}"; do
      if kill -0 "$pid" 2>/dev/null; then alive+=("$pid"); fi
    done
    [ ${#alive[@]} -eq 0 ] && return 0
    pids=("${alive[@]}")
    sleep 0.5
  done
  kill -9 "${pids[@]}" 2>/dev/null || true
}

# Cancel jobs while slurmd still runs, so that their job steps end too instead of outliving it. Ask only a running
# slurmctld: with none, squeue spends about 10 s retrying.
ctld_pid=$(cat "$(conf_value SlurmctldPidFile)" 2>/dev/null || true)
if [ -n "$ctld_pid" ] && [ -d "/proc/$ctld_pid" ] && jobs=$(timeout 10 squeue -h -o %A 2>/dev/null) && [ -n "$jobs" ]; then
  # shellcheck disable=SC2086 # one job id per word
  scancel $jobs || true
  for _ in $(seq 20); do
    [ -z "$(timeout 10 squeue -h -o %A 2>/dev/null)" ] && break
    sleep 0.5
  done
fi
stop_pidfiles "$(conf_value SlurmdPidFile)" "$(conf_value SlurmctldPidFile)" "$MUNGE_PID"
echo "local SLURM cluster stopped"
