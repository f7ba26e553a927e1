#!/usr/bin/env bash
# Set up a local Docker engine and the offline base image medcube's tests and CI run cubes on.
#
#   eval "$(bash scripts/setup-engine.sh)"     # progress goes to stderr, the exports to stdout
#
# Idempotent, each step skipped when its result is already there:
#   1. apt-get install docker.io / debootstrap       (when dockerd / debootstrap is missing)
#   2. start dockerd in the background                (when `docker info` does not answer)
#   3. build medcube/base:bookworm offline            (when the image does not exist, or was made by another
#      recipe: the image carries the recipe key as the label medcube.base.recipe):
#      debootstrap a minimal Debian bookworm with python3, numpy, yaml, PIL, pydicom, torch, typer, jsonschema
#      and pip, cache the root filesystem as a tarball, `docker import` it.
#   4. check the image (--network none, uid 1000) and the docker Python SDK against the engine.
# Then prints `export MEDCUBE_BASE_IMAGE=...` (and DOCKER_HOST when the engine listens elsewhere).
#
# Settings (environment):
#   MEDCUBE_BASE_IMAGE     image name to build          (medcube/base:bookworm)
#   MEDCUBE_CACHE_DIR      rootfs tarball cache         (/var/cache/medcube)
#   MEDCUBE_DEBIAN_MIRROR  Debian mirror for debootstrap (default: the first bookworm mirror apt already uses)
#   MEDCUBE_DOCKERD_LOG    dockerd log file             (/var/log/medcube-dockerd.log; /tmp/... when not root)
#   MEDCUBE_DOCKERD_WAIT   seconds to wait for dockerd  (60)
#   MEDCUBE_REBUILD_BASE=1 rebuild the rootfs and re-import the image even when present
#   MEDCUBE_SKIP_VERIFY=1  skip step 4
set -euo pipefail

BASE_IMAGE="${MEDCUBE_BASE_IMAGE:-medcube/base:bookworm}"
CACHE_DIR="${MEDCUBE_CACHE_DIR:-/var/cache/medcube}"
if [[ $(id -u) -eq 0 ]]; then LOG_DIR=/var/log; else LOG_DIR=/tmp; fi
DOCKERD_LOG="${MEDCUBE_DOCKERD_LOG:-$LOG_DIR/medcube-dockerd.log}"
DOCKERD_WAIT="${MEDCUBE_DOCKERD_WAIT:-60}"
SUITE=bookworm
PACKAGES="python3,python3-pip,python3-numpy,python3-yaml,python3-pil,python3-pydicom,python3-torch,python3-typer,python3-jsonschema,python3-ijson,ca-certificates"
# Bump when the rootfs recipe below changes: it is part of the cache key and of the image's label, so an
# existing image made by an older recipe is rebuilt.
RECIPE_VERSION=4

log() { printf '[setup-engine] %s\n' "$*" >&2; }
die() { printf '[setup-engine] ERROR: %s\n' "$*" >&2; exit 1; }

declare -a TIMINGS=()
now() { printf '%s' "${EPOCHREALTIME/,/.}"; }
timed() {  # timed LABEL CMD...: run CMD, record how long it took
    local label=$1; shift
    local t0 t1
    t0=$(now)
    "$@"
    t1=$(now)
    TIMINGS+=("$(awk -v l="$label" -v a="$t0" -v b="$t1" 'BEGIN{printf "%-28s %7.1f s", l, b-a}')")
}
skipped() { TIMINGS+=("$(printf '%-28s %9s' "$1" "skipped")"); }

SUDO=""
if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || die "needs root (or sudo) to install and start the engine"
    SUDO="sudo"
fi

# The docker client on PATH; /usr/bin/docker (Debian's) once docker.io is installed and none was there before.
docker_cli() {
    if command -v docker >/dev/null 2>&1; then docker "$@"; else $SUDO /usr/bin/docker "$@"; fi
}
engine_answers() { docker_cli info >/dev/null 2>&1; }

# ---------------------------------------------------------------- 1. packages
install_packages() {
    local -a missing=()
    command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
    command -v debootstrap >/dev/null 2>&1 || [[ -x /usr/sbin/debootstrap ]] || missing+=(debootstrap)
    local apt_log="$LOG_DIR/medcube-apt.log"
    log "apt-get install ${missing[*]} (log: $apt_log)"
    export DEBIAN_FRONTEND=noninteractive
    { $SUDO apt-get update -q && $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"; } >"$apt_log" 2>&1 \
        || { tail -n 30 "$apt_log" >&2; die "apt-get failed (log above: $apt_log)"; }
}

need_packages() {
    ! command -v dockerd >/dev/null 2>&1 && return 0
    # debootstrap is only needed when the image has to be built from scratch
    if ! command -v debootstrap >/dev/null 2>&1 && [[ ! -x /usr/sbin/debootstrap ]]; then
        image_exists || [[ -f "$(rootfs_tarball)" ]] || return 0
    fi
    return 1
}

# ---------------------------------------------------------------- 2. dockerd
start_dockerd() {
    local pid
    if [[ -f /var/run/docker.pid ]] && kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
        pid=$(cat /var/run/docker.pid)
        log "dockerd (pid $pid) is running but not answering yet; waiting"
    else
        $SUDO rm -f /var/run/docker.pid
        $SUDO mkdir -p "$(dirname "$DOCKERD_LOG")"
        log "starting dockerd (log: $DOCKERD_LOG)"
        # setsid + nohup: the engine outlives this script and the shell that ran it.
        $SUDO setsid nohup dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null &
        pid=$!
    fi
    local deadline=$((SECONDS + DOCKERD_WAIT))
    until engine_answers; do
        if (( SECONDS >= deadline )); then
            tail -n 30 "$DOCKERD_LOG" >&2 || true
            die "dockerd did not answer within ${DOCKERD_WAIT}s (log above: $DOCKERD_LOG)"
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            tail -n 30 "$DOCKERD_LOG" >&2 || true
            die "dockerd exited while starting (log above: $DOCKERD_LOG)"
        fi
        sleep 0.2
    done
    log "engine answers: $(docker_cli version --format 'server {{.Server.Version}}, API {{.Server.APIVersion}}')"
}

# ---------------------------------------------------------------- 3. base image
recipe_key() { printf '%s|%s|%s' "$SUITE" "$PACKAGES" "$RECIPE_VERSION" | sha256sum | cut -c1-12; }

image_exists() { docker_cli image inspect "$BASE_IMAGE" >/dev/null 2>&1; }

# The image's recipe label ('' for an image made before the label existed, or not by this script).
image_recipe() { docker_cli image inspect --format '{{ index .Config.Labels "medcube.base.recipe" }}' "$BASE_IMAGE" 2>/dev/null || true; }

rootfs_tarball() {
    printf '%s/rootfs-%s-%s.tar' "$CACHE_DIR" "$SUITE" "$(recipe_key)"
}

# The first http(s) Debian mirror apt on this machine uses for the main archive (deb822 and one-line formats).
debian_mirror() {
    if [[ -n "${MEDCUBE_DEBIAN_MIRROR:-}" ]]; then printf '%s' "$MEDCUBE_DEBIAN_MIRROR"; return; fi
    local f uri=""
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
        [[ -f $f ]] || continue
        uri=$(awk -v suite="$SUITE" '
            /^[[:space:]]*#/ {next}
            $1 == "deb" { for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i !~ /\]$/) {u = $i; s = $(i+1); break}
                          if (s == suite && u !~ /security/) {print u; exit} }
            /^URIs:/   { u = $2 }
            /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite && u !~ /security/) {print u; exit} }
        ' "$f")
        [[ -n $uri ]] && break
    done
    printf '%s' "${uri:-http://deb.debian.org/debian}"
}

debootstrap_rootfs() {  # debootstrap_rootfs DIR
    local rootfs=$1 mirror
    mirror=$(debian_mirror)
    local ds_log="$CACHE_DIR/debootstrap.log"
    log "debootstrap $SUITE from $mirror (a few minutes; log: $ds_log)"
    $SUDO rm -rf "$rootfs"
    $SUDO debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$rootfs" "$mirror" >"$ds_log" 2>&1 \
        || { tail -n 40 "$ds_log" "$rootfs/debootstrap/debootstrap.log" >&2 2>/dev/null || true; die "debootstrap failed"; }
}

slim_rootfs() {  # slim_rootfs DIR: what a container needs, nothing more
    local r=$1
    log "slimming the root filesystem ($($SUDO du -sh "$r" | cut -f1) before)"
    $SUDO chroot "$r" apt-get clean
    $SUDO rm -rf "$r"/var/lib/apt/lists/* "$r"/var/cache/apt/*.bin "$r"/var/cache/debconf/*-old \
        "$r"/var/log/* "$r"/tmp/* "$r"/var/tmp/* "$r"/root/.cache \
        "$r"/usr/share/doc/* "$r"/usr/share/man/* "$r"/usr/share/info/* "$r"/usr/share/lintian \
        "$r"/usr/share/linda "$r"/usr/share/groff/* "$r"/usr/share/bug
    # python3-torch pulls in OpenCV, whose GUI/GL dependencies bring Mesa's DRI drivers (dlopen'ed by libGL only)
    # and the LLVM/Z3 they alone link to; libtorch-test is torch's C++ test binaries. None of it is loaded by
    # `import torch` in a headless container: drop the files (about 210 MB), keep dpkg's state consistent.
    $SUDO rm -rf "$r"/usr/lib/libtorch-test/* "$r"/usr/lib/x86_64-linux-gnu/dri/* \
        "$r"/usr/lib/x86_64-linux-gnu/libLLVM-15.so* "$r"/usr/lib/x86_64-linux-gnu/libz3.so*
    # Keep only the locale aliases; the image runs with LANG=C.UTF-8.
    $SUDO find "$r"/usr/share/locale -mindepth 1 -maxdepth 1 ! -name 'locale.alias' -exec rm -rf {} + 2>/dev/null || true
    # Future `apt-get install`s in images built FROM this one skip the same files (as Debian's docker images do).
    $SUDO tee "$r"/etc/dpkg/dpkg.cfg.d/medcube-excludes >/dev/null <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
    # `pip install -r requirements.txt` in Dockerfiles built FROM this image: no PEP 668 refusal.
    $SUDO rm -f "$r"/usr/lib/python3*/EXTERNALLY-MANAGED
    $SUDO ln -sf python3 "$r"/usr/bin/python
    # The rootfs has the host's resolv.conf/hostname from debootstrap; docker provides its own at run time.
    $SUDO rm -f "$r"/etc/resolv.conf "$r"/etc/hostname
    $SUDO touch "$r"/etc/resolv.conf "$r"/etc/hostname
    log "slimmed to $($SUDO du -sh "$r" | cut -f1)"
}

tar_rootfs() {  # tar_rootfs DIR TARBALL (written whole or not at all)
    $SUDO tar --numeric-owner -C "$1" -cf "$2.part" .
    $SUDO mv "$2.part" "$2"
}

build_rootfs_tarball() {  # build_rootfs_tarball TARBALL
    local tarball=$1 rootfs
    rootfs="$CACHE_DIR/rootfs-$SUITE.tmp"
    $SUDO mkdir -p "$CACHE_DIR"
    timed "debootstrap" debootstrap_rootfs "$rootfs"
    timed "slim rootfs" slim_rootfs "$rootfs"
    timed "tar rootfs (cache)" tar_rootfs "$rootfs" "$tarball"
    $SUDO rm -rf "$rootfs"
    log "cached $tarball ($(du -h "$tarball" | cut -f1))"
}

import_image() {  # import_image TARBALL
    log "docker import $1 -> $BASE_IMAGE"
    docker_cli import \
        --change 'ENV LANG=C.UTF-8' \
        --change 'ENV PIP_DISABLE_PIP_VERSION_CHECK=1' \
        --change 'ENV PIP_NO_CACHE_DIR=1' \
        --change 'CMD ["python3"]' \
        --change "LABEL medcube.base.recipe=$(recipe_key)" \
        --message "medcube offline base: debootstrap $SUITE minbase + $PACKAGES" \
        - "$BASE_IMAGE" <"$1" >/dev/null
}

# ---------------------------------------------------------------- 4. checks
verify_image() {
    log "checking $BASE_IMAGE: --network none, uid 1000"
    docker_cli run --rm --network none -u 1000:1000 "$BASE_IMAGE" \
        python3 -c 'import numpy, yaml, PIL, pydicom, torch, typer, jsonschema; print("torch", torch.__version__, "numpy", numpy.__version__)' >&2
}

check_sdk() {
    if ! python3 -c 'import docker' 2>/dev/null; then
        log "docker Python SDK not installed in $(command -v python3); SDK check skipped"
        return 0
    fi
    # docker>=6 negotiates the API version with the engine (version=None means 'auto').
    python3 - >&2 <<'EOF'
import docker
client = docker.from_env()
v = client.version()
print(f"[setup-engine] docker SDK {docker.__version__}: engine {v['Version']}, API {v['ApiVersion']} "
      f"(client negotiated {client.api.api_version})")
EOF
}

# ---------------------------------------------------------------- main
T_START=$(now)

if need_packages; then timed "apt-get install" install_packages; else skipped "apt-get install"; fi
command -v dockerd >/dev/null 2>&1 || die "dockerd not found after installing docker.io"

if engine_answers; then skipped "dockerd start"; else timed "dockerd start" start_dockerd; fi

if [[ "${MEDCUBE_REBUILD_BASE:-0}" == 1 ]]; then
    $SUDO rm -f "$(rootfs_tarball)"
    docker_cli image rm -f "$BASE_IMAGE" >/dev/null 2>&1 || true
fi
if image_exists && [[ "$(image_recipe)" == "$(recipe_key)" ]]; then
    skipped "base image"
else
    if image_exists; then
        log "$BASE_IMAGE was made by another recipe (label '$(image_recipe)', this one $(recipe_key)): rebuilding"
    fi
    TARBALL=$(rootfs_tarball)
    if [[ -f $TARBALL ]]; then
        log "reusing cached root filesystem $TARBALL"
    else
        build_rootfs_tarball "$TARBALL"
    fi
    timed "docker import" import_image "$TARBALL"
fi
log "$BASE_IMAGE: $(docker_cli image inspect --format '{{.Size}}' "$BASE_IMAGE" | awk '{printf "%.0f MB", $1/1e6}')"

if [[ "${MEDCUBE_SKIP_VERIFY:-0}" == 1 ]]; then
    skipped "verify"
else
    timed "verify image" verify_image
    timed "verify SDK" check_sdk
fi

T_END=$(now)
TIMINGS+=("$(awk -v a="$T_START" -v b="$T_END" 'BEGIN{printf "%-28s %7.1f s", "total", b-a}')")
log "timings:"
printf '[setup-engine]   %s\n' "${TIMINGS[@]}" >&2

# The exports, alone on stdout: `eval "$(bash scripts/setup-engine.sh)"`.
printf 'export MEDCUBE_BASE_IMAGE=%s\n' "$BASE_IMAGE"
if [[ -n "${DOCKER_HOST:-}" ]]; then printf 'export DOCKER_HOST=%s\n' "$DOCKER_HOST"; fi
