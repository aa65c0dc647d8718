#!/usr/bin/env bash
# Installs the Debian 12 packages Strata needs to build, test and benchmark.
# Idempotent and quiet: does nothing when every package is already present.
set -euo pipefail

PACKAGES=(
  # toolchain
  g++ cmake ninja-build pkg-config clang-14 clang-format libfuzzer-14-dev libclang-rt-14-dev
  # libraries
  libgtest-dev libgmock-dev libbenchmark-dev libjemalloc-dev libxxhash-dev liburing-dev
  libtomlplusplus-dev liblzma-dev liblzf-dev liblua5.1-0-dev lua-cjson-dev lua-bitop-dev
  libpqxx-dev nlohmann-json3-dev
  # test peers and reference servers
  redis-server redis-tools python3-redis python3-pytest python3-pymemcache memcached curl
  libmemcached-tools wrk varnish nginx-light procps postgresql-15
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts the reference servers as services on install; Strata's tests start their own.
for svc in redis-server memcached varnish nginx postgresql; do
  if command -v systemctl >/dev/null 2>&1; then $SUDO systemctl disable --now "$svc" >/dev/null 2>&1 || true; fi
  $SUDO service "$svc" stop >/dev/null 2>&1 || true
done
