#!/usr/bin/env bash
# Installs the safewire command from this source tree as a .NET tool:
#   scripts/install-tool.sh                  -> global tool (~/.dotnet/tools/safewire; put that folder on PATH)
#   scripts/install-tool.sh --tool-path DIR  -> DIR/safewire
# Packs src/SafeWire.Cli into artifacts/packages (the SafeWire.Cli tool package) and installs it from there. Each
# run packs a new prerelease version (1.0.0-local.TIMESTAMP) so NuGet's cache never hands back an older build.
# Needs only the .NET 10 SDK. For the native executable that ships in releases, see scripts/publish-native.sh.
set -euo pipefail
tool_path=
if [[ $# -gt 0 ]]; then
  if [[ $1 != --tool-path || $# -ne 2 ]]; then
    echo "usage: scripts/install-tool.sh [--tool-path DIR]" >&2
    exit 2
  fi
  tool_path=$(realpath -m "$2")   # relative to where it is run from
fi
cd "$(dirname "$0")/.."
suffix="local.$(date -u +%Y%m%d%H%M%S)"
feed="$PWD/artifacts/packages"
rm -f "$feed"/SafeWire.Cli.*-local.*.nupkg "$feed"/SafeWire.Cli.*-local.*.snupkg   # earlier runs' tool packages
dotnet pack src/SafeWire.Cli -c Release --version-suffix "$suffix" -o "$feed" -v quiet -nologo >/dev/null
version=$(dotnet msbuild src/SafeWire.Cli -getProperty:VersionPrefix)-$suffix
where=(--global)
[[ -n $tool_path ]] && where=(--tool-path "$tool_path")
# Replaces an earlier install (of any version) in the same place.
dotnet tool uninstall "${where[@]}" SafeWire.Cli >/dev/null 2>&1 || true
dotnet tool install "${where[@]}" SafeWire.Cli --version "$version" --add-source "$feed" >/dev/null
if [[ -n $tool_path ]]; then
  echo "installed $tool_path/safewire ($version)"
else
  echo "installed safewire $version as a global tool (in ~/.dotnet/tools; add it to PATH if it is not there)"
fi
