#!/usr/bin/env bash
# Regenerates the DEMO-ONLY PKI in this folder with SafeWire's own CLI (this folder is used as the --home).
# Every private key here is public knowledge: never use them for anything but demos and tests.
set -euo pipefail
cd "$(dirname "$0")"
here="$PWD"
build="$(mktemp -d)"
trap 'rm -rf "$build"' EXIT

dotnet build ../../src/SafeWire.Cli -c Release -o "$build" -v quiet -nologo >/dev/null
sw() { dotnet "$build/safewire.dll" --home "$here" "$@"; }

rm -rf ca certs allowed.txt
sw ca init --name "SafeWire Demo CA (DEMO ONLY)" --days 3650
sw cert issue server --server --dns localhost --ip 127.0.0.1 --ip ::1 --days 3650
for client in alice bob mallory; do
  sw cert issue "$client" --client --days 3650
done
sw allow add certs/alice.crt --name alice --comment "demo client"
sw allow add certs/bob.crt --name bob --comment "demo client"
# mallory has a valid certificate from the demo CA but is deliberately NOT on the allow-list.
rm -f .lock
