#!/usr/bin/env bash
# Installs what the test suite needs on a Debian machine with the .NET 10 SDK, when it is missing.
# Safe to run repeatedly: it only installs what is not there yet.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: curl (a third-party client), chromium + NSS tools (browser end-to-end tests), sqlite3 (storage tests),
# postgresql (the PostgreSQL store tests).
needed=()
command -v curl >/dev/null || needed+=(curl)
command -v chromium >/dev/null || needed+=(chromium)
command -v certutil >/dev/null || needed+=(libnss3-tools)
command -v sqlite3 >/dev/null || needed+=(sqlite3)
command -v node >/dev/null || needed+=(nodejs)
command -v npm >/dev/null || needed+=(npm)
# Network namespaces for tests that need addresses of "this machine" other than loopback, and a server inside them.
command -v ip >/dev/null || needed+=(iproute2)
command -v python3 >/dev/null || needed+=(python3)
# src/publish.sh links the Native AOT binary with the system C toolchain (PublishedBinaryTests); unshare hides .NET.
command -v cc >/dev/null || needed+=(gcc)
command -v objcopy >/dev/null || needed+=(binutils)
[ -e /usr/include/stdio.h ] || needed+=(libc6-dev)
command -v unshare >/dev/null || needed+=(util-linux)
# PostgreSQL's server binaries: the store tests start their own cluster with initdb in a temporary directory.
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || needed+=(postgresql)

if [ ${#needed[@]} -gt 0 ]; then
  echo "Installing Debian packages: ${needed[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "Need root (or sudo) to install: ${needed[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${needed[@]}" >/dev/null
fi

# The real Sensors Analytics web SDK for the browser end-to-end test (Apache-2.0), vendored from npm, never committed.
assets=tests/MiAudit.EndToEnd.Tests/assets
if [ -d "$assets" ] && [ ! -f "$assets/vendor/sensorsdata.min.js" ]; then
  echo "Fetching sa-sdk-javascript from npm"
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent sa-sdk-javascript@1.27.11 >/dev/null && tar -xzf sa-sdk-javascript-*.tgz)
  mkdir -p "$assets/vendor"
  cp "$tmp/package/sensorsdata.min.js" "$assets/vendor/sensorsdata.min.js"
  cp "$tmp/package/LICENSE"* "$assets/vendor/" 2>/dev/null || true
  rm -rf "$tmp"
fi
