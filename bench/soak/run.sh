#!/usr/bin/env bash
# Soak: for each server (files, km, chat, ftp), legitimate clients alone, then the same clients while 1,000 stalled
# (slowloris) sockets, garbage senders and a login flood run against it. Everything runs in one process on loopback
# (the attack from other 127.x.y.z source addresses). Prints a Markdown table for docs/BENCHMARKS.md.
#
#   bench/soak/run.sh [--hostile N] [--seconds S] [--baseline S] [--clients N] [--garbage N] [--flood N] [--only files,km,chat,ftp]
#
# Defaults: 1,000 stalled sockets, 4 garbage senders, 4 login flooders, 4 legitimate clients; 10 s alone, 30 s under
# attack per server. Needs an open-file limit of about 2,500 (`ulimit -n`; .NET raises the soft limit to the hard one).
# Transfers under network faults (two network namespaces, packet loss and duplication, kill -9 mid-file) are the
# other half of the soak: bench/soak/faults.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."

hard="$(ulimit -Hn)"
if [[ "$hard" != unlimited && "$hard" -lt 2600 ]]; then
  echo "soak: the open-file limit (ulimit -Hn = $hard) is below 2,600; raise it or pass a smaller --hostile" >&2
fi

if ! build="$(dotnet build -c Release -v q -nologo bench/soak/SafeWire.Soak 2>&1)"; then
  echo "$build" >&2
  exit 1
fi
exec dotnet bench/soak/SafeWire.Soak/bin/Release/net10.0/SafeWire.Soak.dll "$@"
