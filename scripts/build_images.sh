#!/usr/bin/env bash
# Builds the CPU image offline: a debootstrap base (no registry needed), the project
# wheel plus a wheelhouse of its dependencies, then `docker build --network none`.
#
# Usage: scripts/build_images.sh [--base-tag vlmhb-base:bookworm] [--tag vlmhyperbench:cpu]
#                                [--rebuild-base] [--force] [--extras '[serve]']
#                                [--mirror URL] [--no-smoke]
#
# Idempotent: the image carries the label org.vlmhyperbench.source-hash (scripts/source_hash.py)
# and the id of its base; when both match, nothing is built. Exit status: 0 built or up to
# date, 1 a step failed, 2 bad usage, 3 a prerequisite is missing (docker engine, debootstrap,
# root for the base, pip). See docs/images.md.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BASE_TAG="vlmhb-base:bookworm"
TAG="vlmhyperbench:cpu"
REBUILD_BASE=0
FORCE=0
SMOKE=1
EXTRAS=""
MIRROR="${VLMHB_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SUITE="bookworm"
BASE_PACKAGES="python3,python3-venv,ca-certificates,tesseract-ocr,tesseract-ocr-rus,tesseract-ocr-eng,fonts-dejavu-core"
# The image's Python: Debian bookworm ships CPython 3.11 with glibc 2.36 (x86_64).
TARGET_PY="3.11"
TARGET_ABI="cp311"
TARGET_GLIBC_MINOR=36

usage() { sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case "$1" in
    --base-tag) BASE_TAG="${2:?--base-tag needs a value}"; shift 2 ;;
    --tag) TAG="${2:?--tag needs a value}"; shift 2 ;;
    --rebuild-base) REBUILD_BASE=1; shift ;;
    --force) FORCE=1; shift ;;
    --extras) EXTRAS="${2?--extras needs a value}"; shift 2 ;;
    --mirror) MIRROR="${2:?--mirror needs a value}"; shift 2 ;;
    --no-smoke) SMOKE=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "build_images: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done

log() { printf '[build_images] %s\n' "$*"; }
die() { printf '[build_images] error: %s\n' "$1" >&2; exit "${2:-1}"; }
now() { date +%s.%N; }
TIMINGS=()
T_STEP=0
step() { T_STEP="$(now)"; log "==> $1"; }
step_done() {
  local secs
  secs="$(awk -v a="$T_STEP" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')"
  TIMINGS+=("$(printf '%-12s %7ss' "$1" "$secs")")
  log "<== $1 done in ${secs}s"
}
summary() {
  local line
  log "timings:"
  for line in "${TIMINGS[@]}"; do log "  $line"; done
}

T_ALL="$(now)"
CLEANUP_DIRS=()
cleanup() {
  local dir mnt
  for dir in "${CLEANUP_DIRS[@]}"; do
    [ -d "$dir" ] || continue
    # debootstrap mounts proc/sys inside the target; never delete through a mount.
    awk -v d="$dir/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r | while read -r mnt; do
      umount -l "$mnt" 2>/dev/null || true
    done
    rm -rf --one-file-system "$dir"
  done
}
trap cleanup EXIT

# ---------------------------------------------------------------- prerequisites
command -v docker >/dev/null 2>&1 || die "the docker CLI is not installed (apt-get install docker.io)" 3
docker info >/dev/null 2>&1 || die "the Docker engine is not reachable (is dockerd running? see docs/images.md)" 3
command -v python3 >/dev/null 2>&1 || die "python3 is needed on the host" 3

# One build at a time on this host (parallel CI jobs, several test sessions).
LOCK_FILE="${TMPDIR:-/tmp}/vlmhb-build-images.lock"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$LOCK_FILE"
  if ! flock -n 9; then
    log "another build holds $LOCK_FILE; waiting"
    flock 9
  fi
fi

image_label() {  # image label -> value, or "" (also when the image is missing)
  docker image inspect -f "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null | sed 's/^<no value>$//' || true
}
image_id() { docker image inspect -f '{{.Id}}' "$1" 2>/dev/null || true; }

# ---------------------------------------------------------------- (a) base image
build_base() {
  [ "$(id -u)" = 0 ] || die "building the base image needs root (debootstrap)" 3
  command -v debootstrap >/dev/null 2>&1 || die "debootstrap is not installed (apt-get install debootstrap)" 3
  local work rootfs
  work="$(mktemp -d "${TMPDIR:-/var/tmp}/vlmhb-base.XXXXXX")"
  CLEANUP_DIRS+=("$work")
  rootfs="$work/rootfs"
  log "debootstrap $SUITE (minbase + $BASE_PACKAGES) from $MIRROR; log: $work/debootstrap.log"
  if ! debootstrap --variant=minbase --include="$BASE_PACKAGES" "$SUITE" "$rootfs" "$MIRROR" \
    >"$work/debootstrap.log" 2>&1; then
    tail -n 40 "$work/debootstrap.log" >&2
    [ -f "$rootfs/debootstrap/debootstrap.log" ] && tail -n 40 "$rootfs/debootstrap/debootstrap.log" >&2
    die "debootstrap failed"
  fi
  # Nothing in the image needs the downloaded packages, apt lists or docs.
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
    "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/*
  log "importing into $BASE_TAG"
  tar --numeric-owner -C "$rootfs" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change "LABEL org.vlmhyperbench.base-packages=$SUITE:$BASE_PACKAGES" \
    --change 'CMD ["/bin/bash"]' \
    - "$BASE_TAG" >/dev/null
  cleanup
  CLEANUP_DIRS=()
}

step base
base_label="$(image_label "$BASE_TAG" org.vlmhyperbench.base-packages)"
if [ "$REBUILD_BASE" = 1 ]; then
  log "--rebuild-base: rebuilding $BASE_TAG"
  old_base="$(image_id "$BASE_TAG")"
  build_base
  if [ -n "$old_base" ] && [ "$old_base" != "$(image_id "$BASE_TAG")" ]; then
    docker image rm "$old_base" >/dev/null 2>&1 || true
  fi
elif [ -z "$(image_id "$BASE_TAG")" ]; then
  log "$BASE_TAG is missing: building it"
  build_base
elif [ -z "$base_label" ]; then
  log "$BASE_TAG exists but was not made by this script; using it as is (--rebuild-base replaces it)"
elif [ "$base_label" != "$SUITE:$BASE_PACKAGES" ]; then
  log "$BASE_TAG was made from another package list ($base_label): rebuilding"
  build_base
else
  log "$BASE_TAG is present"
fi
BASE_ID="$(image_id "$BASE_TAG")"
step_done base

# ---------------------------------------------------------------- up to date?
step check
HASH="$(python3 "$REPO/scripts/source_hash.py" "$REPO")"
have_hash="$(image_label "$TAG" org.vlmhyperbench.source-hash)"
have_base="$(image_label "$TAG" org.vlmhyperbench.base-id)"
have_extras="$(image_label "$TAG" org.vlmhyperbench.extras)"
step_done check
if [ "$FORCE" = 0 ] && [ "$have_hash" = "$HASH" ] && [ "$have_base" = "$BASE_ID" ] \
  && [ "$have_extras" = "$EXTRAS" ]; then
  log "$TAG is up to date (source-hash ${HASH:0:12}, base ${BASE_ID:7:12}); nothing to build (--force rebuilds)"
  summary
  exit 0
fi
if [ -n "$have_hash" ]; then
  log "$TAG is stale (source-hash ${have_hash:0:12} -> ${HASH:0:12}); rebuilding"
fi

# ---------------------------------------------------------------- (b) wheel + wheelhouse
pick_pip_python() {  # a Python with pip, for building the wheel and downloading wheels
  local py cache
  for py in "${VLMHB_BUILD_PYTHON:-}" "$REPO/.venv/bin/python" python3; do
    [ -n "$py" ] || continue
    if "$py" -m pip --version >/dev/null 2>&1; then echo "$py"; return 0; fi
  done
  cache="${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/vlmhyperbench/build-venv"
  if [ ! -x "$cache/bin/python" ] || ! "$cache/bin/python" -m pip --version >/dev/null 2>&1; then
    log "no Python with pip found; creating $cache" >&2
    python3 -m venv "$cache" >&2 || return 1
  fi
  echo "$cache/bin/python"
}

step wheels
PIP_PY="$(pick_pip_python)" || die "need a Python with pip or python3-venv (apt-get install python3-venv)" 3
CTX="$(mktemp -d "${TMPDIR:-/var/tmp}/vlmhb-ctx.XXXXXX")"
CLEANUP_DIRS+=("$CTX")
mkdir -p "$CTX/dist/wheels"
log "building the project wheel with $PIP_PY"
"$PIP_PY" -m pip wheel -q --disable-pip-version-check --no-deps -w "$CTX/dist" "$REPO" \
  || die "building the project wheel failed"
WHEELS=("$CTX"/dist/vlmhyperbench-*.whl)
if [ "${#WHEELS[@]}" != 1 ] || [ ! -f "${WHEELS[0]}" ]; then
  die "expected one vlmhyperbench wheel in $CTX/dist"
fi
WHEEL="${WHEELS[0]}"
VERSION="$(basename "$WHEEL" | cut -d- -f2)"
platforms=()
for ((minor = TARGET_GLIBC_MINOR; minor >= 17; minor--)); do
  platforms+=(--platform "manylinux_2_${minor}_x86_64")
done
platforms+=(--platform manylinux2014_x86_64)
log "downloading dependencies for CPython $TARGET_PY manylinux x86_64"
"$PIP_PY" -m pip download -q --disable-pip-version-check -d "$CTX/dist/wheels" \
  --only-binary=:all: --python-version "$TARGET_PY" --implementation cp --abi "$TARGET_ABI" \
  "${platforms[@]}" "$WHEEL$EXTRAS" || die "downloading the dependency wheels failed"
rm -f "$CTX"/dist/wheels/vlmhyperbench-*.whl
log "wheelhouse: $(find "$CTX/dist/wheels" -name '*.whl' | wc -l) wheels, $(du -sh "$CTX/dist" | cut -f1)"
step_done wheels

# ---------------------------------------------------------------- (c) docker build
# BuildKit commits no container per metadata instruction; with the vfs storage driver each
# such commit copies the whole image, so the legacy builder is several times slower. A
# CLI older than 23 has BuildKit built in; a newer one needs the buildx plugin.
pick_docker_build() {  # prints "CLI BUILDKIT"
  local cli major
  if [ -n "${VLMHB_DOCKER_BUILDKIT:-}" ]; then echo "docker $VLMHB_DOCKER_BUILDKIT"; return; fi
  if docker buildx version >/dev/null 2>&1; then echo "docker 1"; return; fi
  for cli in docker /usr/bin/docker; do
    command -v "$cli" >/dev/null 2>&1 || continue
    major="$("$cli" version --format '{{.Client.Version}}' 2>/dev/null | cut -d. -f1)" || continue
    if [[ "$major" =~ ^[0-9]+$ ]] && [ "$major" -lt 23 ]; then echo "$cli 1"; return; fi
  done
  echo "docker 0"
}

step build
cp "$REPO/docker/Dockerfile.cpu" "$CTX/Dockerfile"
read -r DOCKER_BUILD_CLI DOCKER_BUILDKIT < <(pick_docker_build)
export DOCKER_BUILDKIT
build_opts=()
if [ "$DOCKER_BUILDKIT" = 1 ]; then build_opts+=(--progress=plain); else build_opts+=(--force-rm); fi
BUILD_LOG="${TMPDIR:-/tmp}/vlmhb-build-images.log"
log "docker build ($DOCKER_BUILD_CLI, $([ "$DOCKER_BUILDKIT" = 1 ] && echo BuildKit || echo legacy builder)); log: $BUILD_LOG"
old_id="$(image_id "$TAG")"
if ! "$DOCKER_BUILD_CLI" build --network none "${build_opts[@]}" \
  -f "$CTX/Dockerfile" \
  --build-arg BASE_IMAGE="$BASE_TAG" \
  --build-arg PIP_ARGS="--no-index --find-links /tmp/dist/wheels" \
  --build-arg EXTRAS="$EXTRAS" \
  --build-arg VERSION="$VERSION" \
  --build-arg SOURCE_URL="${VLMHB_SOURCE_URL:-}" \
  --label "org.vlmhyperbench.source-hash=$HASH" \
  --label "org.vlmhyperbench.base-id=$BASE_ID" \
  --label "org.vlmhyperbench.extras=$EXTRAS" \
  -t "$TAG" "$CTX" >"$BUILD_LOG" 2>&1; then
  tail -n 60 "$BUILD_LOG" >&2
  die "docker build failed (full log: $BUILD_LOG)"
fi
new_id="$(image_id "$TAG")"
# The replaced image would otherwise linger untagged (vfs storage: hundreds of MB).
if [ -n "$old_id" ] && [ "$old_id" != "$new_id" ]; then
  docker image rm "$old_id" >/dev/null 2>&1 || true
fi
step_done build

# ---------------------------------------------------------------- (d) smoke check
if [ "$SMOKE" = 1 ]; then
  step smoke
  langs="$(docker run --rm --network none --entrypoint sh "$TAG" -c \
    'python3 -m vlmhyperbench --help >/dev/null && tesseract --list-langs 2>&1')" \
    || die "smoke check failed: python3 -m vlmhyperbench --help in $TAG"
  for lang in rus eng; do
    grep -qx "$lang" <<<"$langs" || die "smoke check failed: tesseract in $TAG lacks '$lang'"
  done
  step_done smoke
fi

log "built $TAG ($(docker image inspect -f '{{.Size}}' "$TAG" | awk '{ printf "%.0f MB", $1 / 1e6 }'), version $VERSION, source-hash ${HASH:0:12})"
TIMINGS+=("$(printf '%-12s %7ss' total "$(awk -v a="$T_ALL" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')")")
summary
