#!/usr/bin/env bash
# Builds the safewire command the way it ships, one native executable (Native AOT, `dotnet publish -c Release`):
#   scripts/publish-native.sh DIR      -> DIR/safewire (and DIR/libe_sqlite3.so beside it)
# Installs Debian's clang, which links the native code, when it is missing. About 1-1.5 minutes on 2 cores.
set -euo pipefail
out=$(realpath -m "${1:?usage: scripts/publish-native.sh DIR}")   # relative to where it is run from
cd "$(dirname "$0")/.."
if ! command -v clang >/dev/null 2>&1; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "publish-native: the native build links with clang; install it first (Debian: sudo apt-get install clang)" >&2
    exit 1
  fi
  echo "publish-native: installing clang" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq clang >/dev/null
fi
dotnet publish src/SafeWire.Cli -c Release -o "$out" -v quiet -nologo >/dev/null
test -x "$out/safewire"
