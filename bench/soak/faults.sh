#!/usr/bin/env bash
# Transfers under network faults: two network namespaces ("machines") joined by a veth pair whose both ends lose,
# duplicate (and, where the kernel has netem, delay and reorder) packets; `safewire files serve` on one, `files put`
# and `files get` from the other. Half of the transfers are also killed (kill -9) mid-file on their first try. Every
# try must end in success or a clean, one-line failure; every retry must finish the file (resuming a killed one);
# every file on either side must have the original's SHA-256. Prints a Markdown table for docs/BENCHMARKS.md.
#
#   bench/soak/faults.sh [--transfers N] [--size KIB] [--tries N]
#
# Defaults: 10 files of 2,048 KiB, each put then got back, at most 8 tries each; every second put and get is
# killed once its partial file holds 64 KiB. Needs root, iproute2 and nftables.
# Faults: `tc qdisc ... netem loss 5% delay 50ms 20ms reorder 10% duplicate 1%` on both veth ends; if the kernel has
# no netem (sch_netem), nftables on both veth ends' egress instead: 5% of packets dropped, 1% duplicated, plus a
# tbf bandwidth limit (8 Mbit/s, up to 50 ms queued); no jittered delay, no reordering; the script says so.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo="$PWD"

transfers=10 size_kib=2048 tries=8
while [[ $# -gt 0 ]]; do
  case "$1" in
    --transfers) transfers="$2"; shift 2 ;;
    --size) size_kib="$2"; shift 2 ;;
    --tries) tries="$2"; shift 2 ;;
    *) echo "faults: unknown option $1 (--transfers N, --size KIB, --tries N)" >&2; exit 2 ;;
  esac
done

if [[ "$(id -u)" != 0 ]]; then
  echo "faults: needs root (network namespaces)" >&2
  exit 2
fi

if ! build="$(dotnet build -c Release -v q -nologo src/SafeWire.Cli 2>&1)"; then
  echo "$build" >&2
  exit 1
fi
safewire=(dotnet "$repo/src/SafeWire.Cli/bin/Release/net10.0/safewire.dll")

tag="$(printf '%04x' $((RANDOM)))"
A="swfA$tag" B="swfB$tag" VA="swfa$tag" VB="swfb$tag"
server_ip=10.213.14.1 client_ip=10.213.14.2 port=7022
work="$(mktemp -d /tmp/safewire-faults-XXXXXX)"
server_pid="" ftp_pid=""
# Servers run in their own process group (setsid), so that stopping one reaches the server, not only `ip netns exec`.
stop() { if [[ -n "$1" ]]; then kill -- "-$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; fi; }
cleanup() {
  stop "$server_pid"
  stop "$ftp_pid"
  ip netns del "$A" 2>/dev/null || true
  ip netns del "$B" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$A"
ip netns add "$B"
ip link add "$VA" type veth peer name "$VB"
ip link set "$VA" netns "$A"
ip link set "$VB" netns "$B"
ip -n "$A" addr add "$server_ip/24" dev "$VA"
ip -n "$B" addr add "$client_ip/24" dev "$VB"
for ns_dev in "$A:$VA" "$B:$VB"; do
  # One wire-sized packet per send (no 64 KiB offload super-packets), so that 5% loss is 5% of real packets.
  ip -n "${ns_dev%%:*}" link set "${ns_dev#*:}" gso_max_segs 1 gso_max_size 1500 2>/dev/null || true
  ip -n "${ns_dev%%:*}" link set "${ns_dev#*:}" up
  ip -n "${ns_dev%%:*}" link set lo up
done

netem="loss 5% delay 50ms 20ms reorder 10% duplicate 1%"
if netem_error="$(ip netns exec "$A" tc qdisc add dev "$VA" root netem $netem 2>&1)" \
   && ip netns exec "$B" tc qdisc add dev "$VB" root netem $netem; then
  faults="tc netem $netem, both directions"
else
  echo "faults: netem is not available: \`tc qdisc add dev $VA root netem $netem\` says: $netem_error" >&2
  for ns_dev in "$A:$VA" "$B:$VB"; do
    ip netns exec "${ns_dev%%:*}" nft -f - <<EOF
table netdev safewire_faults {
  chain egress {
    type filter hook egress device "${ns_dev#*:}" priority 0; policy accept;
    numgen random mod 100 < 5 counter drop
    numgen random mod 100 < 1 counter dup to "${ns_dev#*:}"
  }
}
EOF
    # A bandwidth limit with a 50 ms queue (tbf), so that a file takes seconds and a kill lands mid-file.
    ip netns exec "${ns_dev%%:*}" tc qdisc add dev "${ns_dev#*:}" root tbf rate 8mbit burst 16kb latency 50ms
  done
  faults="nftables on both veth egresses: 5% of packets dropped, 1% duplicated; tc tbf 8 Mbit/s with up to 50 ms of queueing; no netem delay or reordering (kernel without netem: $netem_error)"
fi

mkdir -p "$work/served" "$work/local" "$work/back"
sw() { local ns="$1"; shift; ip netns exec "$ns" "${safewire[@]}" "$@"; }

setsid ip netns exec "$A" "${safewire[@]}" --home "$work/server-home" files serve --root "$work/served" --host "$server_ip" --port "$port" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 600); do
  grep -q "Press Ctrl+C to stop." "$work/server.log" && break
  sleep 0.1
done
grep -q "Press Ctrl+C to stop." "$work/server.log" || { echo "faults: the server did not start:" >&2; cat "$work/server.log" >&2; exit 1; }

code="$(sw "$A" --home "$work/server-home" invite alice --server-address "$server_ip:$port" 2>"$work/invite.log" | tail -1 | tr -d '[:space:]')"
joined=""
for _ in $(seq 1 "$tries"); do
  if sw "$B" --home "$work/client-home" join "$code" >"$work/join.log" 2>&1; then joined=yes; break; fi
done
[[ -n "$joined" ]] || { echo "faults: the join failed $tries times:" >&2; cat "$work/join.log" >&2; exit 1; }

declare -A errors=()
puts=0 put_failed=0 gets=0 get_failed=0 resumed=0 corrupt=0 unfinished=0 killed=0

# One try of `files VERB ...` in the client namespace; with kill_at set, kill -9 it once PARTIAL has that many bytes.
try() {
  local verb="$1" partial="$2" kill_at="$3"; shift 3
  # In its own process group, so that kill -9 reaches the client itself, not only `ip netns exec`.
  setsid ip netns exec "$B" "${safewire[@]}" --home "$work/client-home" files "$verb" "$@" >"$work/try.out" 2>"$work/try.err" &
  local pid=$!
  if [[ -n "$kill_at" ]]; then
    for _ in $(seq 1 1200); do
      kill -0 "$pid" 2>/dev/null || break
      if [[ -f "$partial" && "$(stat -c %s "$partial")" -ge "$kill_at" ]]; then
        kill -9 -- "-$pid" 2>/dev/null || true
        killed=$((killed + 1))
        break
      fi
      sleep 0.05
    done
  fi
  local rc=0
  wait "$pid" || rc=$?
  if [[ $rc -ne 0 && $rc -ne 137 ]]; then
    # A clean failure is one line on standard error; anything else (a stack trace, nothing) counts as unclean.
    local lines; lines="$(grep -c . "$work/try.err" || true)"
    local first; first="$(head -1 "$work/try.err" | sed -E 's/[0-9]+/N/g' | cut -c1-120)"
    [[ "$lines" == 1 ]] || first="UNCLEAN ($lines lines): $first"
    errors["$first"]=$(( ${errors["$first"]:-0} + 1 ))
  fi
  cat "$work/try.out" >>"$work/all.out"
  grep -q "resumed at" "$work/try.out" && resumed=$((resumed + 1))
  return $rc
}

start=$SECONDS
cut=$(( size_kib * 1024 / 32 ))
for i in $(seq 1 "$transfers"); do
  name="f$i.bin"
  head -c "$((size_kib * 1024))" /dev/urandom >"$work/local/$name"
  want="$(sha256sum <"$work/local/$name" | cut -d' ' -f1)"
  kill_at=""; (( i % 2 == 0 )) && kill_at=$cut

  done_put=""
  for t in $(seq 1 "$tries"); do
    puts=$((puts + 1))
    if try put "$work/served/.$name.safewire-part" "$kill_at" "$server_ip:$port" "$work/local/$name" "/$name"; then done_put=yes; break; fi
    put_failed=$((put_failed + 1)); kill_at=""
    # Whatever failed, the final name holds nothing or the whole file.
    if [[ -f "$work/served/$name" && "$(sha256sum <"$work/served/$name" | cut -d' ' -f1)" != "$want" ]]; then corrupt=$((corrupt + 1)); fi
  done
  [[ -n "$done_put" ]] || { unfinished=$((unfinished + 1)); continue; }
  [[ "$(sha256sum <"$work/served/$name" | cut -d' ' -f1)" == "$want" ]] || corrupt=$((corrupt + 1))

  kill_at=""; (( i % 2 == 0 )) && kill_at=$cut
  done_get=""
  for t in $(seq 1 "$tries"); do
    gets=$((gets + 1))
    if try get "$work/back/.$name.safewire-part" "$kill_at" "$server_ip:$port" "/$name" "$work/back/$name"; then done_get=yes; break; fi
    get_failed=$((get_failed + 1)); kill_at=""
    if [[ -f "$work/back/$name" && "$(sha256sum <"$work/back/$name" | cut -d' ' -f1)" != "$want" ]]; then corrupt=$((corrupt + 1)); fi
  done
  [[ -n "$done_get" ]] || { unfinished=$((unfinished + 1)); continue; }
  [[ "$(sha256sum <"$work/back/$name" | cut -d' ' -f1)" == "$want" ]] || corrupt=$((corrupt + 1))
done
elapsed=$((SECONDS - start))

# FTPS: curl uploads (explicit TLS, TLS data connections) through the same faults, every second one killed mid-file
# on its first try. FTP uploads are not resumed from the server's partial file: an interrupted STOR is 426 and its
# partial is deleted, so a retry sends the file again; the final name must hold nothing or the whole file.
ftp_start=$SECONDS
ftp_password="faults-$RANDOM$RANDOM"
mkdir -p "$work/ftp-root"
printf '%s\n' "$ftp_password" | sw "$A" --home "$work/server-home" ftp user add alice --users "$work/ftp-users.txt" --password-stdin >/dev/null
setsid ip netns exec "$A" "${safewire[@]}" --home "$work/server-home" ftp serve --root "$work/ftp-root" --host "$server_ip" --port 2121 --users "$work/ftp-users.txt" --pasv-ports 40000-40031 >"$work/ftp.log" 2>&1 &
ftp_pid=$!
for _ in $(seq 1 600); do
  grep -q "Press Ctrl+C to stop." "$work/ftp.log" && break
  sleep 0.1
done
ca="$(grep -o 'curl --cacert [^;]*' "$work/ftp.log" | cut -d' ' -f3)"
ftp_puts=0 ftp_failed=0 ftp_killed=0 ftp_unfinished=0
for i in $(seq 1 "$transfers"); do
  name="f$i.bin"
  want="$(sha256sum <"$work/local/$name" | cut -d' ' -f1)"
  kill_at=""; (( i % 2 == 0 )) && kill_at=$cut
  done_ftp=""
  for t in $(seq 1 "$tries"); do
    ftp_puts=$((ftp_puts + 1))
    setsid ip netns exec "$B" curl -sS --ssl-reqd --cacert "$ca" --user "alice:$ftp_password" --max-time 300 -T "$work/local/$name" "ftp://$server_ip:2121/$name" >"$work/try.out" 2>"$work/try.err" &
    pid=$!
    if [[ -n "$kill_at" ]]; then
      for _ in $(seq 1 1200); do
        kill -0 "$pid" 2>/dev/null || break
        if [[ -f "$work/ftp-root/.$name.safewire-part" && "$(stat -c %s "$work/ftp-root/.$name.safewire-part")" -ge "$kill_at" ]]; then
          kill -9 -- "-$pid" 2>/dev/null || true
          ftp_killed=$((ftp_killed + 1))
          break
        fi
        sleep 0.05
      done
    fi
    rc=0
    wait "$pid" || rc=$?
    if [[ $rc -eq 0 ]]; then done_ftp=yes; break; fi
    ftp_failed=$((ftp_failed + 1)); kill_at=""
    if [[ $rc -ne 137 ]]; then
      first="curl: $(head -1 "$work/try.err" | sed -E 's/[0-9]+/N/g' | cut -c1-120)"
      errors["$first"]=$(( ${errors["$first"]:-0} + 1 ))
    fi
    if [[ -f "$work/ftp-root/$name" && "$(sha256sum <"$work/ftp-root/$name" | cut -d' ' -f1)" != "$want" ]]; then corrupt=$((corrupt + 1)); fi
  done
  [[ -n "$done_ftp" ]] || { ftp_unfinished=$((ftp_unfinished + 1)); continue; }
  [[ "$(sha256sum <"$work/ftp-root/$name" | cut -d' ' -f1)" == "$want" ]] || corrupt=$((corrupt + 1))
done
stop "$ftp_pid"; ftp_pid=""
ftp_elapsed=$((SECONDS - ftp_start))
unfinished=$((unfinished + ftp_unfinished))
[[ -n "${FAULTS_DEBUG:-}" ]] && cat "$work/all.out" >&2

drops=""
if [[ "$faults" == nftables* ]]; then
  drops="$(ip netns exec "$A" nft list table netdev safewire_faults | grep -o 'packets [0-9]*' | tr '\n' ' '); $(ip netns exec "$B" nft list table netdev safewire_faults | grep -o 'packets [0-9]*' | tr '\n' ' ')"
fi

echo "faults: $faults"
[[ -n "$drops" ]] && echo "faults: nftables counters (server side: dropped, duplicated; client side: dropped, duplicated): $drops"
echo
echo "| client | files | size | uploads: tries (failed) | downloads: tries (failed) | killed mid-file | resumed | unfinished | corrupt (whole run) | seconds |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
echo "| safewire files put/get | $transfers | $size_kib KiB | $puts ($put_failed) | $gets ($get_failed) | $killed | $resumed | $((unfinished - ftp_unfinished)) | $corrupt | $elapsed |"
echo "| curl FTPS upload | $transfers | $size_kib KiB | $ftp_puts ($ftp_failed) | - | $ftp_killed | - (sent again) | $ftp_unfinished | $corrupt | $ftp_elapsed |"
if [[ ${#errors[@]} -gt 0 ]]; then
  echo
  echo "Failed tries (numbers replaced by N):"
  for e in "${!errors[@]}"; do echo "- ${errors[$e]} × $e"; done
fi
[[ $corrupt -eq 0 && $unfinished -eq 0 ]]
