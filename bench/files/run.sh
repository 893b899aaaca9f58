#!/usr/bin/env bash
# End-to-end file transfer benchmark on loopback (docs/BENCHMARKS.md, section "Files"):
#   safewire files put/get      vs  OpenSSH scp and sftp to a temporary sshd on a high port
#   safewire ftp serve (FTPS)   vs  vsftpd (temporary config), both driven by the same curl command
# usage: bench/files/run.sh [SIZE_MIB]   (default 1024 = 1 GiB). Needs root for sshd/vsftpd; installs
# openssh-server, openssh-client, vsftpd, curl (and clang, for the native build) from Debian if missing. ROUNDS=N
# (default 3) rounds of all transfers; prints a Markdown table of medians.
set -euo pipefail
size_mib=${1:-1024}
cd "$(dirname "$0")/../.."

need=()
[[ -x /usr/sbin/sshd ]] || need+=(openssh-server)
command -v scp >/dev/null || need+=(openssh-client)
[[ -x /usr/sbin/vsftpd ]] || need+=(vsftpd)
command -v curl >/dev/null || need+=(curl)
if ((${#need[@]})); then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

work=$(mktemp -d /tmp/safewire-bench-XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# safewire as it ships: the native executable (scripts/publish-native.sh).
scripts/publish-native.sh "$work/bin"
sw=("$work/bin/safewire")

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { for _ in $(seq 1 200); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done; echo "timeout waiting for $2 in $1" >&2; cat "$1" >&2; exit 1; }
# Every transfer starts from the same state: its output from the last round deleted, dirty pages written back,
# then a short pause. (On a VM that returns freed memory to the host, the first tool to write a fresh file would
# otherwise pay for page faults the later ones skip.) Each transfer runs ROUNDS times, interleaved with the
# others; the table gives the median.
rounds=${ROUNDS:-3}
declare -A times=()
labels=()
# run LABEL OUTPUT COMMAND...: time one transfer of $src into OUTPUT, check it, delete it
run() {
  local label=$1 output=$2; shift 2
  local start end
  [[ " ${labels[*]} " == *" $label "* ]] || labels+=("$label")
  rm -f "$output"; sync; sleep 1
  start=$(date +%s.%N)
  "$@" >/dev/null 2>"$work/last.err" || { echo "$label failed:" >&2; cat "$work/last.err" >&2; exit 1; }
  end=$(date +%s.%N)
  cmp -s "$src" "$output" || { echo "MISMATCH: $label" >&2; exit 1; }
  rm -f "$output"
  times[$label]+="$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f", e - s }') "
}
median() { tr ' ' '\n' <<<"$1" | sed '/^$/d' | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

src="$work/src.bin"
head -c "$((size_mib * 1024 * 1024))" /dev/urandom > "$src"
home="$work/home"

# Servers first, all on loopback. Downloads fetch a hard link to the source ("dl.bin"), uploads write "up.bin".
# --- safewire files ---------------------------------------------------------------------------------
mkdir -p "$work/sw-root"
ln "$src" "$work/sw-root/dl.bin"
sw_port=$(port)
"${sw[@]}" --home "$home" files serve --root "$work/sw-root" --port "$sw_port" > "$work/sw.log" 2>&1 & pids+=($!)
wait_for "$work/sw.log" "Press Ctrl+C"
"${sw[@]}" --home "$home" files ls "127.0.0.1:$sw_port" >/dev/null 2>&1 || true   # creates the client credential
"${sw[@]}" --home "$home" allow add "$home/certs/client.crt" --name client >/dev/null

# --- OpenSSH scp / sftp to a temporary sshd ----------------------------------------------------------
mkdir -p /run/sshd "$work/ssh"
ssh-keygen -q -t ed25519 -N '' -f "$work/ssh/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$work/ssh/client_key"
cp "$work/ssh/client_key.pub" "$work/ssh/authorized_keys"
ssh_port=$(port)
cat > "$work/ssh/sshd_config" <<CFG
Port $ssh_port
ListenAddress 127.0.0.1
HostKey $work/ssh/host_key
AuthorizedKeysFile $work/ssh/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
StrictModes no
PidFile $work/ssh/sshd.pid
Subsystem sftp internal-sftp
CFG
/usr/sbin/sshd -D -f "$work/ssh/sshd_config" & pids+=($!)
sleep 1
ssh_opts=(-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -i "$work/ssh/client_key")

# --- FTPS: safewire ftp serve vs vsftpd, the same curl command ---------------------------------------
ca="$home/ca/ca.crt"
curl_up()   { curl -sS --noproxy '*' --ssl-reqd --cacert "$ca" --user anonymous:bench -T "$src" "ftp://127.0.0.1:$1/up/up.bin"; }
curl_down() { curl -sS --noproxy '*' --ssl-reqd --cacert "$ca" --user anonymous:bench -o "$2" "ftp://127.0.0.1:$1/up/dl.bin"; }

mkdir -p "$work/ftp-root/up"
ln "$src" "$work/ftp-root/up/dl.bin"
echo bench | "${sw[@]}" ftp user add anonymous --users "$work/users.txt" --password-stdin >/dev/null
ftp_port=$(port)
"${sw[@]}" --home "$home" ftp serve --root "$work/ftp-root" --port "$ftp_port" --users "$work/users.txt" > "$work/ftp.log" 2>&1 & pids+=($!)
wait_for "$work/ftp.log" "Press Ctrl+C"

# vsftpd: anonymous with upload, TLS forced on logins and data, TLS 1.2, the same certificate as ours.
mkdir -p /var/run/vsftpd/empty "$work/vs-root/up"
chown ftp "$work/vs-root/up" 2>/dev/null || chmod 777 "$work/vs-root/up"
vs_port=$(port)
cat > "$work/vsftpd.conf" <<CFG
listen=YES
listen_address=127.0.0.1
listen_port=$vs_port
background=NO
anonymous_enable=YES
anon_root=$work/vs-root
no_anon_password=YES
write_enable=YES
anon_upload_enable=YES
anon_other_write_enable=YES
anon_umask=022
allow_writeable_chroot=YES
local_enable=NO
pasv_enable=YES
ssl_enable=YES
allow_anon_ssl=YES
force_anon_logins_ssl=YES
force_anon_data_ssl=YES
ssl_tlsv1=NO
ssl_sslv2=NO
ssl_sslv3=NO
require_ssl_reuse=NO
rsa_cert_file=$home/certs/ftp.crt
rsa_private_key_file=$home/certs/ftp.key
seccomp_sandbox=NO
CFG
/usr/sbin/vsftpd "$work/vsftpd.conf" & pids+=($!)
sleep 1
ln "$src" "$work/vs-root/up/dl.bin"

# Our servers are long-running processes: one small untimed transfer each first, so the timed ones measure a
# warm server (sshd and vsftpd fork a fresh process per connection anyway).
head -c $((16 * 1024 * 1024)) "$src" > "$work/warm.bin"
"${sw[@]}" --home "$home" files put "127.0.0.1:$sw_port" "$work/warm.bin" /warm.bin >/dev/null
"${sw[@]}" --home "$home" files get "127.0.0.1:$sw_port" /warm.bin "$work/warm-got.bin" >/dev/null
curl -sS --noproxy '*' --ssl-reqd --cacert "$ca" --user anonymous:bench -T "$work/warm.bin" "ftp://127.0.0.1:$ftp_port/up/warm.bin"
rm -f "$work/warm-got.bin" "$work/sw-root/warm.bin" "$work/ftp-root/up/warm.bin"

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
for _ in $(seq 1 "$rounds"); do
  run "safewire files put" "$work/sw-root/up.bin" "${sw[@]}" --home "$home" files put "127.0.0.1:$sw_port" "$src" /up.bin
  run "safewire files get" "$work/sw-get.bin" "${sw[@]}" --home "$home" files get "127.0.0.1:$sw_port" /dl.bin "$work/sw-get.bin"
  run "scp upload" "$work/ssh-up.bin" scp -q "${ssh_opts[@]}" -P "$ssh_port" "$src" "root@127.0.0.1:$work/ssh-up.bin"
  run "scp download" "$work/ssh-down.bin" scp -q "${ssh_opts[@]}" -P "$ssh_port" "root@127.0.0.1:$src" "$work/ssh-down.bin"
  run "sftp upload" "$work/sftp-up.bin" sftp -q "${ssh_opts[@]}" -P "$ssh_port" -b <(echo "put $src $work/sftp-up.bin") root@127.0.0.1
  run "sftp download" "$work/sftp-down.bin" sftp -q "${ssh_opts[@]}" -P "$ssh_port" -b <(echo "get $src $work/sftp-down.bin") root@127.0.0.1
  run "safewire ftp (curl upload)" "$work/ftp-root/up/up.bin" curl_up "$ftp_port"
  run "safewire ftp (curl download)" "$work/ftp-down.bin" curl_down "$ftp_port" "$work/ftp-down.bin"
  run "vsftpd (curl upload)" "$work/vs-root/up/up.bin" curl_up "$vs_port"
  run "vsftpd (curl download)" "$work/vs-down.bin" curl_down "$vs_port" "$work/vs-down.bin"
done

# ratio LABEL BASELINE: how many times faster LABEL's median is than BASELINE's
ratio() { awk -v a="$(median "${times[$2]}")" -v b="$(median "${times[$1]}")" 'BEGIN { printf "%.2f×", a / b }'; }
declare -A baseline=(
  ["safewire files put"]="scp upload" ["safewire files get"]="scp download"
  ["safewire ftp (curl upload)"]="vsftpd (curl upload)" ["safewire ftp (curl download)"]="vsftpd (curl download)"
)
echo "Loopback, ${size_mib} MiB file of random bytes, median of $rounds rounds, $(nproc) cores," \
  "load average $load_start at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
echo
echo "| transfer | median seconds | MiB/s | all runs (s) | vs baseline |"
echo "|---|---|---|---|---|"
for label in "${labels[@]}"; do
  m=$(median "${times[$label]}")
  vs=""
  [[ -n "${baseline[$label]:-}" ]] && vs="$(ratio "$label" "${baseline[$label]}") ${baseline[$label]}"
  awk -v l="$label" -v m="$m" -v s="$size_mib" -v all="${times[$label]% }" -v vs="$vs" \
    'BEGIN { printf "| %s | %.2f | %.0f | %s | %s |\n", l, m, s / m, all, vs }'
done
