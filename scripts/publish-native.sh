#!/usr/bin/env bash
# Builds the safewire command the way it ships, one native executable (Native AOT, `dotnet publish -c Release`):
#   scripts/publish-native.sh DIR      -> DIR/safewire (and DIR/libe_sqlite3.so beside it)
# Installs Debian's clang, which links the native code, when it is missing. About 1-1.5 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: scripts/publish-native.sh DIR}
if ! command -v clang >/dev/null 2>&1; then
  echo "publish-native: installing clang" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq clang >/dev/null
fi
dotnet publish src/SafeWire.Cli -c Release -o "$out" -v quiet -nologo >/dev/null
test -x "$out/safewire"
