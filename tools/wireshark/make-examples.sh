#!/usr/bin/env bash
# Regenerates the example captures and key logs in docs/examples/wireshark/:
#   chat-cbc-hmac.pcapng + .keys   a chat session (alice and bob) with AES-256-CBC + HMAC-SHA256
#   files-aes-gcm.pcapng + .keys   a file transfer (upload, listing, download) with AES-256-GCM
#   chat-chacha20.pcapng + .keys   the same chat session with ChaCha20-Poly1305
# and the decrypted view of each (*-decrypted.pcapng, written by `safewire capture decrypt`).
# Captures the loopback interface with dumpcap (package tshark), so it needs the right to capture (root, or
# membership of the wireshark group). The sessions run on 127.0.0.1 on the default ports (10101 chat, 7022 files).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=docs/examples/wireshark
command -v dumpcap >/dev/null 2>&1 || { echo "make-examples: dumpcap is missing (Debian: apt-get install tshark)" >&2; exit 1; }
mkdir -p "$out"
echo "make-examples: building"
dotnet build tools/wireshark/ExampleCaptures -v quiet -nologo >/dev/null
dotnet build src/SafeWire.Cli -v quiet -nologo >/dev/null
generator=tools/wireshark/ExampleCaptures/bin/Debug/net10.0/ExampleCaptures.dll
safewire=src/SafeWire.Cli/bin/Debug/net10.0/safewire.dll
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

capture() { # NAME SCENARIO SUITE PORT
  local name=$1 scenario=$2 suite=$3 port=$4
  rm -f "$out/$name.pcapng" "$out/$name.keys" "$out/$name-decrypted.pcapng"
  dumpcap -i lo -f "tcp port $port" -w "$scratch/$name.pcapng" >"$scratch/dumpcap.log" 2>&1 &
  local pid=$!
  for _ in $(seq 100); do grep -q "^Capturing on" "$scratch/dumpcap.log" && break; sleep 0.1; done
  dotnet "$generator" "$scenario" "$suite" "$port" "$out/$name.keys"
  sleep 1
  kill -INT "$pid"
  wait "$pid" || true
  install -m 644 "$scratch/$name.pcapng" "$out/$name.pcapng"
  dotnet "$safewire" capture decrypt "$out/$name.pcapng" --keylog "$out/$name.keys" >"$scratch/$name.txt"
  tail -n 1 "$scratch/$name.txt"
}

capture chat-cbc-hmac chat cbc-hmac 10101
capture files-aes-gcm files aes-gcm 7022
capture chat-chacha20 chat chacha20 10101
