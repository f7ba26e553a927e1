#!/usr/bin/env bash
# Set up Podman's Docker-compatible API socket beside a running Docker engine, with the offline base image in it.
#
#   eval "$(bash scripts/setup-podman.sh)"            # rootful: prints export MEDCUBE_PODMAN_HOST=unix://...
#   eval "$(bash scripts/setup-podman.sh --rootless)" # as the user medcube-rootless (made with subuid/subgid)
#
# Idempotent, each step skipped when its result is already there:
#   1. apt-get install podman uidmap slirp4netns fuse-overlayfs   (when podman is missing)
#   2. rootless only: the user (useradd), its /etc/subuid and /etc/subgid ranges, its runtime folder
#   3. the base image moved from Docker: `docker save IMG | podman load` (when Podman lacks it or has another id)
#   4. `podman system service --time=0 unix://SOCKET` in the background (when nothing answers on the socket)
# Nothing is configured by hand: no containers.conf is written (medcube sends ulimits and keep-id per container).
# The Docker engine is left as it is: Podman keeps its own storage and its own socket.
#
# Settings (environment):
#   MEDCUBE_BASE_IMAGE      the image to move        (medcube/base:bookworm)
#   MEDCUBE_PODMAN_SOCK     rootful socket path      (/run/podman/podman.sock)
#   MEDCUBE_ROOTLESS_USER   the rootless user        (medcube-rootless)
#   MEDCUBE_PODMAN_WAIT     seconds to wait for the service (30)
set -euo pipefail

BASE_IMAGE="${MEDCUBE_BASE_IMAGE:-medcube/base:bookworm}"
ROOTLESS=0
[[ "${1:-}" == "--rootless" ]] && ROOTLESS=1
RUSER="${MEDCUBE_ROOTLESS_USER:-medcube-rootless}"
SUFFIX=""
(( ROOTLESS )) && SUFFIX="-rootless"
WAIT="${MEDCUBE_PODMAN_WAIT:-30}"

log() { printf '[setup-podman] %s\n' "$*" >&2; }
die() { printf '[setup-podman] ERROR: %s\n' "$*" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || die "needs root (it installs packages and starts a service)"

# ---------------------------------------------------------------- 1. packages
if ! command -v podman >/dev/null 2>&1 || ! command -v newuidmap >/dev/null 2>&1; then
    log "apt-get install podman uidmap slirp4netns fuse-overlayfs"
    export DEBIAN_FRONTEND=noninteractive
    { apt-get install -y -q podman uidmap slirp4netns fuse-overlayfs \
        || { apt-get update -q && apt-get install -y -q podman uidmap slirp4netns fuse-overlayfs; }; } \
        >/tmp/medcube-podman-apt.log 2>&1 || { tail -n 30 /tmp/medcube-podman-apt.log >&2; die "apt-get failed"; }
fi

# as_user CMD...: CMD as the rootless user, with its runtime folder (root runs it directly)
as_user() {
    if (( ROOTLESS )); then
        local uid
        uid=$(id -u "$RUSER")
        (cd / && setpriv --reuid="$uid" --regid="$uid" --init-groups \
            env -i HOME="/home/$RUSER" USER="$RUSER" LOGNAME="$RUSER" PATH=/usr/sbin:/usr/bin:/sbin:/bin \
            XDG_RUNTIME_DIR="/run/user/$uid" "$@")
    else
        "$@"
    fi
}

# ---------------------------------------------------------------- 2. the rootless user
if (( ROOTLESS )); then
    if ! id "$RUSER" >/dev/null 2>&1; then
        log "useradd $RUSER"
        useradd --create-home --shell /bin/bash "$RUSER"
    fi
    uid=$(id -u "$RUSER")
    for f in /etc/subuid /etc/subgid; do
        touch "$f"
        grep -q "^$RUSER:" "$f" || { echo "$RUSER:200000:65536" >>"$f"; log "$f: $RUSER:200000:65536"; }
    done
    install -d -m 0700 -o "$uid" -g "$uid" "/run/user/$uid"
    SOCK="/run/user/$uid/podman/podman.sock"
else
    SOCK="${MEDCUBE_PODMAN_SOCK:-/run/podman/podman.sock}"
    mkdir -p "$(dirname "$SOCK")"
fi

# Rootless storage: Podman takes fuse-overlayfs when it is installed, and falls back to vfs (a full copy of the
# image for every build step and container: minutes each) where FUSE cannot be mounted in the user's namespace, as
# here. The kernel's own overlay works for unprivileged users (Linux 5.11 and later): that user's storage.conf says so.
PIDFILE=""
if (( ROOTLESS )); then
    PIDFILE="/run/user/$(id -u "$RUSER")/medcube-podman.pid"
    if [[ "$(as_user podman info --format '{{.Store.GraphDriverName}}' 2>/dev/null)" == vfs ]]; then
        conf="/home/$RUSER/.config/containers/storage.conf"
        log "$conf: driver overlay, the kernel's own (Podman fell back to vfs: no FUSE for $RUSER)"
        install -d -o "$RUSER" -g "$RUSER" "/home/$RUSER/.config" "/home/$RUSER/.config/containers"
        printf '[storage]\ndriver = "overlay"\n\n[storage.options.overlay]\nmount_program = ""\n' >"$conf"
        chown "$RUSER:" "$conf"
        if [[ -f $PIDFILE ]]; then kill "$(cat "$PIDFILE")" 2>/dev/null || true; rm -f "$PIDFILE"; fi
        as_user podman system reset -f >/dev/null 2>&1 || true
    fi
fi

# ---------------------------------------------------------------- 3. the base image
docker_id=$(docker image inspect --format '{{.Id}}' "$BASE_IMAGE" 2>/dev/null | sed 's/^sha256://') \
    || die "Docker has no $BASE_IMAGE: run scripts/setup-engine.sh first"
podman_id=$(as_user podman image inspect --format '{{.Id}}' "$BASE_IMAGE" 2>/dev/null || true)
if [[ "$podman_id" != "$docker_id" ]]; then
    log "docker save $BASE_IMAGE | podman load${SUFFIX:+ (as $RUSER)}"
    t0=$SECONDS
    docker save "$BASE_IMAGE" | as_user podman load -q >/dev/null
    log "loaded in $((SECONDS - t0)) s"
else
    log "$BASE_IMAGE already in Podman (${docker_id:0:12})"
fi

# ---------------------------------------------------------------- 4. the API service
# get PATH: the service's answer to GET PATH on the socket (python3's standard library: no curl needed)
get() {
    python3 - "$SOCK" "$1" <<'PY'
import http.client, socket, sys
class Unix(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.settimeout(3)
        self.sock.connect(sys.argv[1])
c = Unix("podman")
c.request("GET", sys.argv[2])
r = c.getresponse()
body = r.read().decode()
sys.exit(print(body) if r.status == 200 else 1)
PY
}
answers() { get /_ping >/dev/null 2>&1; }
service_pids() { pgrep -u "$( ((ROOTLESS)) && echo "$RUSER" || echo root)" -f "podman system service --time=0 unix://$SOCK" || true; }
# A service whose working directory was removed (started from a checkout deleted since) still answers, but every
# container it starts fails ("conmon: Failed to get working directory", "write child: broken pipe"): stop it, and
# start the new one from /.
for pid in $(service_pids); do
    if [[ $(readlink "/proc/$pid/cwd" 2>/dev/null) == *" (deleted)" ]]; then
        log "podman service $pid runs in a removed folder ($(readlink "/proc/$pid/cwd")): stopping it"
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        rm -f "$SOCK"
    fi
done
if answers; then
    log "podman service answers on $SOCK"
else
    mkdir -p "$(dirname "$SOCK")" 2>/dev/null || true
    if (( ROOTLESS )); then chown "$RUSER:" "$(dirname "$SOCK")"; fi
    rm -f "$SOCK"
    svc_log="/tmp/medcube-podman-service$SUFFIX.log"
    log "podman system service --time=0 unix://$SOCK (log: $svc_log)"
    # setsid + nohup: the service outlives this script and the shell that ran it
    # from /: the service and every conmon it starts keep this working directory, which must outlive the checkout
    (cd / && as_user setsid nohup podman system service --time=0 "unix://$SOCK") >>"$svc_log" 2>&1 </dev/null &
    deadline=$((SECONDS + WAIT))
    until answers; do
        (( SECONDS < deadline )) || { tail -n 20 "$svc_log" >&2; die "no answer on $SOCK within ${WAIT}s"; }
        sleep 0.2
    done
    if [[ -n $PIDFILE ]]; then service_pids >"$PIDFILE"; fi
    log "answers: $(get /version | python3 -c 'import json,sys; v=json.load(sys.stdin); print(v["Components"][0]["Name"], v["Version"])')"
fi
if (( ROOTLESS )); then
    # medcube, run as root, reaches the rootless user's socket (the user's own files stay the user's)
    chmod 0711 "$(dirname "$(dirname "$SOCK")")" "$(dirname "$SOCK")"
    printf 'export MEDCUBE_PODMAN_ROOTLESS_HOST=unix://%s\n' "$SOCK"
else
    printf 'export MEDCUBE_PODMAN_HOST=unix://%s\n' "$SOCK"
fi
