#!/usr/bin/env bash
# Checks the packages as a user gets them: packs every package into a temporary feed, installs the safewire tool
# from it into a temporary tool path and runs `safewire --version`, then builds the samples against the packed
# packages (a copy of samples/ whose NuGet.config names only that feed, with an empty package cache: no project
# references, nothing from elsewhere) and runs them: echo server and client, a FileSync mirror, a minimal API over
# SafeWire. Everything lives in one temporary folder, deleted at exit. Needs only the .NET 10 SDK, no network.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
work=$(mktemp -d /tmp/safewire-packages.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
feed=$work/feed
export SAFEWIRE_HOME=$work/home           # the samples' keys and local CA
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

version=$(dotnet msbuild src/SafeWire -getProperty:Version)
echo "packages: packing $version"
dotnet pack SafeWire.Packages.slnf -c Release -o "$feed" -v quiet -nologo >/dev/null
ls "$feed"
# From here on an empty package cache: nothing cached from earlier builds can stand in for a broken package.
export NUGET_PACKAGES=$work/nuget-cache

echo "packages: installing the safewire tool from the feed"
dotnet tool install --tool-path "$work/tools" SafeWire.Cli --version "$version" --add-source "$feed" >/dev/null
got=$("$work/tools/safewire" --version)
echo "safewire --version: $got"
[[ $got == "$version"* ]] || { echo "packages: the tool says $got, expected $version" >&2; exit 1; }

echo "packages: building the samples against the packed packages"
cp -r "$repo/samples" "$work/samples"
rm -rf "$work"/samples/*/bin "$work"/samples/*/obj
cat > "$work/samples/NuGet.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="packed" value="$feed" />
  </packageSources>
</configuration>
XML
bin=$work/bin
for sample in EchoServer EchoClient FileSync WebWhoAmI; do
  dotnet build "$work/samples/$sample" -c Release -p:SafeWireVersion="$version" -o "$bin/$sample" -v quiet -nologo >/dev/null
done

# Starts a sample server in the background; its output goes to $work/NAME.log.
start() {
  local name=$1
  shift
  dotnet "$bin/$name/$name.dll" "$@" >"$work/$name.log" 2>&1 &
  pids+=($!)
}
# Prints the port the last server started announces (its first line: "... on 127.0.0.1:PORT").
port_of() {
  local log=$work/$1.log
  for _ in $(seq 600); do
    if grep -q ' on 127\.0\.0\.1:' "$log"; then
      grep -o ' on 127\.0\.0\.1:[0-9]*' "$log" | head -n 1 | cut -d: -f2
      return
    fi
    kill -0 "${pids[-1]}" 2>/dev/null || break
    sleep 0.1
  done
  echo "packages: $1 did not start:" >&2
  cat "$log" >&2
  return 1
}
# Stops the last server started (SIGTERM: it shuts down cleanly) and checks it exited with 0.
stop() {
  local pid=${pids[-1]}
  kill -TERM "$pid"
  wait "$pid" || { echo "packages: $1 exited with $?:" >&2; cat "$work/$1.log" >&2; return 1; }
  unset 'pids[-1]'
}

echo "packages: echo"
start EchoServer 0
port=$(port_of EchoServer)
dotnet "$bin/EchoClient/EchoClient.dll" localhost "$port" hello "über SafeWire"
stop EchoServer
grep -q 'echo-client said goodbye' "$work/EchoServer.log" || { cat "$work/EchoServer.log" >&2; exit 1; }

echo "packages: FileSync"
mkdir -p "$work/share/docs/deep"
head -c 3000000 /dev/urandom >"$work/share/big.bin"
echo "notes" >"$work/share/docs/notes.txt"
: >"$work/share/docs/deep/empty"
start FileSync serve "$work/share" 0
port=$(port_of FileSync)
dotnet "$bin/FileSync/FileSync.dll" pull 127.0.0.1 "$port" "$work/mirror"
stop FileSync
diff -r "$work/share" "$work/mirror"

echo "packages: WebWhoAmI"
dotnet "$bin/WebWhoAmI/WebWhoAmI.dll" 0

echo "packages: all passed"
