#!/usr/bin/env bash
# A single-node Slurm cluster on loopback, for trying the array job and for the integration test:
#   local-cluster.sh start DIR   starts munged (if not running), slurmctld and slurmd with a minimal config in DIR
#   local-cluster.sh stop DIR    stops the daemons started from DIR
# Then: export SLURM_CONF=DIR/slurm.conf and use sbatch, squeue, sacct as usual. Needs Debian's slurm-wlm and munge
# (apt-get install slurm-wlm munge) and root (the daemons run as root here; a real cluster has its own users).
set -euo pipefail
cmd=${1:?start|stop}; dir=$(realpath -m "${2:?state folder}")
case "$cmd" in
start)
  mkdir -p "$dir/state" "$dir/spool" "$dir/log"
  if ! pgrep -x munged >/dev/null; then
    mkdir -p /run/munge && chown munge:munge /run/munge
    runuser -u munge -- /usr/sbin/munged
  fi
  cpus=$(nproc); mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 * 9 / 10 ))
  cat > "$dir/slurm.conf" <<CONF
ClusterName=edram-local
SlurmctldHost=$(hostname)(127.0.0.1)
SlurmctldPort=${EDRAM_SLURMCTLD_PORT:-16817}
SlurmdPort=${EDRAM_SLURMD_PORT:-16818}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName=$(hostname) NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=local Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
  /usr/sbin/slurmctld -f "$dir/slurm.conf" -i
  /usr/sbin/slurmd -f "$dir/slurm.conf"
  export SLURM_CONF="$dir/slurm.conf"
  for _ in $(seq 60); do
    if sinfo -h -o %T 2>/dev/null | grep -qx idle; then echo "slurm up: SLURM_CONF=$dir/slurm.conf"; exit 0; fi
    sleep 1
  done
  echo "slurm did not come up; logs in $dir/log" >&2; exit 1 ;;
stop)
  for d in slurmd slurmctld; do
    [[ -f "$dir/$d.pid" ]] && kill "$(cat "$dir/$d.pid")" 2>/dev/null || true
  done ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
