# Sourced by test/docker/run.sh: a Docker engine of the test's own, started and stopped by it.
# dockerd gets its own data root (kept between runs: the cache of base images and build layers), exec root, pid file,
# socket and bridge; the iptables rules and chains it adds are removed after it stops, whatever the test's outcome.
# Variables: OA_CACHE (cache folder), OA_RUN (this run's scratch folder).

OA_SOCK=/run/orthanc-auth-docker-test.sock
OA_PIDFILE=/run/orthanc-auth-docker-test.pid
OA_EXEC_ROOT=/run/orthanc-auth-docker-test
OA_BRIDGE=oa-test0
OA_BRIDGE_CIDR=10.213.0.1/24
OA_POOL=10.214.0.0/16
export DOCKER_HOST=unix://$OA_SOCK

engine_install() {
  local missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  command -v docker-compose >/dev/null || missing+=(docker-compose)
  command -v iptables-save >/dev/null || missing+=(iptables)
  if ((${#missing[@]})); then
    echo "installing from Debian: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# The Debian client (20.10) talks to the Debian engine: its `docker build` has both builders (DOCKER_BUILDKIT=0/1)
# without the buildx plugin, which a newer client elsewhere on PATH would require for BuildKit. Put first on PATH (for
# this script, docker-compose's helpers and checks.mjs) without putting /usr/bin's node before the Node of PATH.
engine_client() {
  mkdir -p "$OA_RUN/bin"
  ln -sf /usr/bin/docker "$OA_RUN/bin/docker"
  export PATH="$OA_RUN/bin:$PATH"
}

engine_start() {
  engine_client
  iptables-save >"$OA_RUN/iptables.before"
  if ! ip link show "$OA_BRIDGE" >/dev/null 2>&1; then
    ip link add "$OA_BRIDGE" type bridge
    ip addr add "$OA_BRIDGE_CIDR" dev "$OA_BRIDGE"
    ip link set "$OA_BRIDGE" up
    OA_BRIDGE_MADE=1
  fi
  mkdir -p "$OA_CACHE/data-root"
  dockerd --data-root "$OA_CACHE/data-root" --exec-root "$OA_EXEC_ROOT" --pidfile "$OA_PIDFILE" \
    --host "unix://$OA_SOCK" --bridge "$OA_BRIDGE" --default-address-pool "base=$OA_POOL,size=24" \
    --storage-driver overlay2 --iptables=true --ip6tables=false --userland-proxy=true \
    >"$OA_RUN/dockerd.log" 2>&1 &
  OA_DOCKERD_PID=$!
  local i
  for i in $(seq 1 60); do
    if docker version >/dev/null 2>&1; then return 0; fi
    kill -0 "$OA_DOCKERD_PID" 2>/dev/null || break
    sleep 1
  done
  echo "dockerd did not answer within 60 s; its log:" >&2
  tail -20 "$OA_RUN/dockerd.log" >&2
  return 1
}

# Removes every rule and chain that appeared in iptables since engine_start (the rules others add meanwhile, if any,
# are only those we did not see before: ours are the DOCKER* chains and the rules naming our bridges).
_iptables_restore_ours() {
  [ -f "$OA_RUN/iptables.before" ] || return 0
  iptables-save >"$OA_RUN/iptables.after"
  local table="" line
  # Rules first (deleting a rule that jumps to a chain before the chain itself), then the chains.
  while IFS= read -r line; do
    case "$line" in
      \**) table=${line#\*} ;;
      -A\ *)
        if ! grep -qxF -- "$line" <(sed -n "/^\*$table\$/,/^COMMIT/p" "$OA_RUN/iptables.before"); then
          # shellcheck disable=SC2086
          eval "iptables -t $table -D ${line#-A }" 2>/dev/null || true
        fi ;;
    esac
  done <"$OA_RUN/iptables.after"
  while IFS= read -r line; do
    case "$line" in
      \**) table=${line#\*} ;;
      :*)
        local chain=${line#:}; chain=${chain%% *}
        if ! grep -q "^:$chain " <(sed -n "/^\*$table\$/,/^COMMIT/p" "$OA_RUN/iptables.before"); then
          iptables -t "$table" -F "$chain" 2>/dev/null || true
          iptables -t "$table" -X "$chain" 2>/dev/null || true
        fi ;;
    esac
  done <"$OA_RUN/iptables.after"
}

engine_stop() {
  if [ -n "${OA_DOCKERD_PID:-}" ] && kill -0 "$OA_DOCKERD_PID" 2>/dev/null; then
    kill -TERM "$OA_DOCKERD_PID" 2>/dev/null || true
    local i
    for i in $(seq 1 30); do kill -0 "$OA_DOCKERD_PID" 2>/dev/null || break; sleep 1; done
    if kill -0 "$OA_DOCKERD_PID" 2>/dev/null; then
      echo "dockerd did not stop within 30 s: killed" >&2
      kill -KILL "$OA_DOCKERD_PID" 2>/dev/null || true
      sleep 1
    fi
  fi
  # containerd, started by dockerd under our exec root, ends with it; a left one is named by its pid file.
  local cpid
  cpid=$(cat "$OA_EXEC_ROOT/containerd/containerd.pid" 2>/dev/null || true)
  if [ -n "$cpid" ] && kill -0 "$cpid" 2>/dev/null; then kill -TERM "$cpid" 2>/dev/null || true; fi
  _iptables_restore_ours
  for br in $(ip -o link show type bridge 2>/dev/null | awk -F': ' '{print $2}' | grep -E '^br-[0-9a-f]{12}$' || true); do
    # compose networks' bridges: ours are in our pool
    if ip -o addr show dev "$br" | grep -q ' 10\.214\.'; then ip link del "$br" 2>/dev/null || true; fi
  done
  if [ -n "${OA_BRIDGE_MADE:-}" ]; then ip link del "$OA_BRIDGE" 2>/dev/null || true; fi
  umount "$OA_EXEC_ROOT"/netns/* 2>/dev/null || true
  rm -f "$OA_SOCK" "$OA_PIDFILE"
}
