#!/usr/bin/env bash
# Starts a Docker engine for the tests and the demo where none runs (as root): no registry
# and no bridge network on these machines, so `--iptables=false --bridge=none`.
#
# Storage driver: overlay2 first (a container costs no copy of its image: ~0.5 s per
# container, the image stored once), vfs as the fallback where overlay mounts are refused
# (every container and every image layer a full copy: ~25 s per container and several GB).
# VLMHB_DOCKER_STORAGE=vfs|overlay2 forces one. Prints the driver it got.
#
# Exit status: 0 an engine answers (already running, or started), 1 it did not come up
# (its log is printed), 3 dockerd is not installed.
set -euo pipefail

LOG="${VLMHB_DOCKERD_LOG:-/var/log/vlmhb-dockerd.log}"
WAIT_S="${VLMHB_DOCKERD_WAIT_S:-60}"

log() { printf '[start_dockerd] %s\n' "$*"; }

if docker info >/dev/null 2>&1; then
  log "an engine is running already (storage driver: $(docker info -f '{{.Driver}}'))"
  exit 0
fi
command -v dockerd >/dev/null 2>&1 || { log "dockerd is not installed (apt-get install docker.io)" >&2; exit 3; }

wait_up() {
  local _
  for _ in $(seq "$WAIT_S"); do
    docker info >/dev/null 2>&1 && return 0
    kill -0 "$1" 2>/dev/null || return 1  # dockerd exited: this driver is refused here
    sleep 1
  done
  return 1
}

stop() {
  kill "$1" 2>/dev/null || true
  for _ in $(seq 30); do kill -0 "$1" 2>/dev/null || return 0; sleep 1; done
  kill -9 "$1" 2>/dev/null || true
}

# overlay2 can start yet fail at the first container on some filesystems: a real mount
# in a scratch folder tells before dockerd is asked.
overlay_mounts() {
  local dir ok=1
  dir="$(mktemp -d)"
  mkdir -p "$dir/lower" "$dir/upper" "$dir/work" "$dir/merged"
  if mount -t overlay overlay -o "lowerdir=$dir/lower,upperdir=$dir/upper,workdir=$dir/work" "$dir/merged" 2>/dev/null; then
    umount "$dir/merged" && ok=0
  fi
  rm -rf "$dir"
  return "$ok"
}

if [ -n "${VLMHB_DOCKER_STORAGE:-}" ]; then
  drivers="$VLMHB_DOCKER_STORAGE"
elif overlay_mounts; then
  drivers="overlay2 vfs"
else
  log "overlay mounts are refused here: using vfs"
  drivers="vfs"
fi

for driver in $drivers; do
  log "starting dockerd --storage-driver=$driver (log: $LOG)"
  nohup dockerd --iptables=false --bridge=none --storage-driver="$driver" >"$LOG" 2>&1 &
  pid=$!
  if wait_up "$pid"; then
    log "engine up, storage driver: $(docker info -f '{{.Driver}}')"
    exit 0
  fi
  log "dockerd with $driver did not come up; its log:" >&2
  tail -n 30 "$LOG" >&2
  stop "$pid"
done
exit 1
