#!/usr/bin/env bash
# Two empty homes on two "machines" (network namespaces joined by a veth pair, as root) to the first file transfer,
# wall time; then JOINS joins in a row (invite on the server, join on the client: one process each) per second.
# Usage: bench/two-machines.sh [JOINS]   (safewire: $SAFEWIRE_EXE, else the Debug safewire.dll; build it first)
set -euo pipefail
cd "$(dirname "$0")/.."
joins=${1:-20}
if [[ -n "${SAFEWIRE_EXE:-}" ]]; then sw=("$SAFEWIRE_EXE"); else sw=(dotnet "$PWD/src/SafeWire.Cli/bin/Debug/net10.0/safewire.dll"); fi
tag=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
a=swbA$tag; b=swbB$tag
work=$(mktemp -d /tmp/safewire-bench.XXXXXX)
server_pid=
cleanup() {
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  ip netns del "$a" 2>/dev/null || true
  ip netns del "$b" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$a"; ip netns add "$b"
ip link add "sbva$tag" type veth peer name "sbvb$tag"
ip link set "sbva$tag" netns "$a"; ip link set "sbvb$tag" netns "$b"
ip -n "$a" addr add 10.213.9.1/24 dev "sbva$tag"; ip -n "$b" addr add 10.213.9.2/24 dev "sbvb$tag"
ip -n "$a" link set "sbva$tag" up; ip -n "$b" link set "sbvb$tag" up
ip -n "$a" link set lo up; ip -n "$b" link set lo up
mkdir -p "$work/share" "$work/out"
head -c 1048576 /dev/urandom > "$work/payload.bin"
now() { date +%s.%N; }

start=$(now)
ip netns exec "$a" "${sw[@]}" --home "$work/A" files serve --root "$work/share" --host 10.213.9.1 --port 7022 > "$work/serve.log" 2>&1 &
server_pid=$!
until grep -q "Press Ctrl+C" "$work/serve.log"; do
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.log"; exit 1; }
  sleep 0.02
done
code=$(ip netns exec "$a" "${sw[@]}" --home "$work/A" invite alice --server-address 10.213.9.1:7022 2>/dev/null | tail -n 1)
ip netns exec "$b" "${sw[@]}" --home "$work/B" join "$code" > /dev/null
ip netns exec "$b" "${sw[@]}" --home "$work/B" files put 10.213.9.1:7022 "$work/payload.bin" > /dev/null
end=$(now)
cmp -s "$work/payload.bin" "$work/share/payload.bin" || { echo "transfer corrupted" >&2; exit 1; }
awk -v s="$start" -v e="$end" 'BEGIN { printf "two empty homes to the first transfer (1 MiB): %.2f s\n", e - s }' 

start=$(now)
for i in $(seq 1 "$joins"); do
  code=$(ip netns exec "$a" "${sw[@]}" --home "$work/A" invite "m$i" --server-address 10.213.9.1:7022 2>/dev/null | tail -n 1)
  ip netns exec "$b" "${sw[@]}" --home "$work/B$i" join "$code" > /dev/null
done
end=$(now)
awk -v n="$joins" -v s="$start" -v e="$end" 'BEGIN { printf "%d invite+join pairs: %.2f joins/s (%.3f s each, two process starts included)\n", n, n / (e - s), (e - s) / n }' 
