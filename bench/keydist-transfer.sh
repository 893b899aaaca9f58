#!/usr/bin/env bash
# Key distribution throughput: one file (default 1 GiB) sent peer to peer on loopback in each mode
# (cbc, cfb, e2e) through the real safewire executable (native, as it ships), side by side with a plain TCP copy of the
# same file in the same run. Prints a Markdown table for docs/BENCHMARKS.md.
#
#   bench/keydist-transfer.sh [SIZE_MIB]        (default 1024)
#
# "transfer" is the time the sender itself reports for moving the file (connect, key confirmation and the
# pairing excluded); "wall" is the whole `safewire peer send` run: process start, SafeWire handshake with the key
# manager, pairing, key fetch and confirmation, transfer, report and verdict.
set -euo pipefail
cd "$(dirname "$0")/.."

size_mib="${1:-1024}"
work="$(mktemp -d /tmp/safewire-kd-bench.XXXXXX)"
km_pid=""
waiter_pid=""
cleanup() {
  [[ -n "$waiter_pid" ]] && kill "$waiter_pid" 2>/dev/null || true
  [[ -n "$km_pid" ]] && kill "$km_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

scripts/publish-native.sh "$work/bin"   # safewire as it ships: the native executable
sw=("$work/bin/safewire")
home="$work/home"
file="$work/payload.bin"
head -c "$((size_mib * 1024 * 1024))" /dev/urandom >"$file"
expected="$(sha256sum "$file" | cut -d' ' -f1)"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }

port="$(free_port)"
"${sw[@]}" km serve --home "$home" --port "$port" >"$work/km.log" 2>&1 &
km_pid=$!
for _ in $(seq 100); do grep -q "listening" "$work/km.log" 2>/dev/null && break; sleep 0.1; done

rows=()
mib() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f", b / 1048576 / s }'; }

# Plain TCP copy of the same file (python3 sendfile on one side, recv_into on the other): the ceiling.
out="$work/plain.bin"
plain_port="$(free_port)"
python3 - "$plain_port" "$out" <<'EOF' &
import socket, sys
port, path = int(sys.argv[1]), sys.argv[2]
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", port)); s.listen(1)
c, _ = s.accept()
buf = bytearray(1 << 20); view = memoryview(buf)
with open(path, "wb") as f:
    while True:
        n = c.recv_into(buf)
        if n == 0: break
        f.write(view[:n])
EOF
recv_pid=$!
sleep 0.5
start="$(now)"
python3 - "$plain_port" "$file" <<'EOF'
import socket, sys
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
with open(sys.argv[2], "rb") as f: c.sendfile(f)
c.close()
EOF
wait "$recv_pid"
elapsed="$(awk -v a="$start" -v b="$(now)" 'BEGIN { print b - a }')"
[[ "$(sha256sum "$out" | cut -d' ' -f1)" == "$expected" ]] || { echo "plain copy differs" >&2; exit 1; }
rm -f "$out"
bytes="$(stat -c %s "$file")"
rows+=("| plain TCP copy (python3 sendfile) | $(printf %.2f "$elapsed") s | $(mib "$bytes" "$elapsed") MiB/s | $(printf %.2f "$elapsed") s |")

for mode in cbc cfb e2e; do
  inbox="$work/inbox-$mode"
  mkdir -p "$inbox"
  "${sw[@]}" peer wait "127.0.0.1:$port" --home "$home" --name bob --out "$inbox" --accept-all >"$work/bob-$mode.log" 2>&1 &
  waiter_pid=$!
  for _ in $(seq 100); do grep -q "Waiting as peer" "$work/bob-$mode.log" 2>/dev/null && break; sleep 0.1; done
  start="$(now)"
  "${sw[@]}" peer send "127.0.0.1:$port" --home "$home" --name alice --to bob --mode "$mode" "$file" >"$work/alice-$mode.log" 2>&1
  wall="$(awk -v a="$start" -v b="$(now)" 'BEGIN { print b - a }')"
  wait "$waiter_pid"
  waiter_pid=""
  [[ "$(sha256sum "$inbox/payload.bin" | cut -d' ' -f1)" == "$expected" ]] || { echo "$mode: received file differs" >&2; exit 1; }
  grep -q "Block counts match" "$work/alice-$mode.log"
  rm -rf "$inbox"
  seconds="$(sed -n 's/^sent payload.bin: .* in \([0-9.]*\) s .*/\1/p' "$work/alice-$mode.log")"
  rows+=("| safewire peer send --mode $mode | $seconds s | $(mib "$bytes" "$seconds") MiB/s | $(printf %.2f "$wall") s |")
done

echo "File: $size_mib MiB of random bytes, loopback, $(nproc) cores ($(uname -m)), $(date -u +%Y-%m-%d)"
echo
echo "| transfer | time | throughput | wall (whole command) |"
echo "|---|---|---|---|"
printf '%s\n' "${rows[@]}"
