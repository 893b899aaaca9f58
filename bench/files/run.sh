#!/usr/bin/env bash
# End-to-end file transfer benchmark on loopback (docs/BENCHMARKS.md, section "Files"):
#   safewire files put/get      vs  OpenSSH scp and sftp to a temporary sshd on a high port
#   safewire ftp serve (FTPS)   vs  vsftpd (temporary config), both driven by the same curl command
# usage: bench/files/run.sh [SIZE_MIB]   (default 1024 = 1 GiB). Needs root for sshd/vsftpd; installs
# openssh-server, openssh-client, vsftpd and curl from Debian if missing. Prints a Markdown table.
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

dotnet build src/SafeWire.Cli -c Release -v quiet -nologo >/dev/null
sw=(dotnet "$PWD/src/SafeWire.Cli/bin/Release/net10.0/safewire.dll")

work=$(mktemp -d /tmp/safewire-bench-XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { for _ in $(seq 1 200); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done; echo "timeout waiting for $2 in $1" >&2; cat "$1" >&2; exit 1; }
# run LABEL COMMAND...: time one transfer, print "LABEL seconds MiB/s"
results=()
run() {
  local label=$1; shift
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null 2>"$work/last.err" || { echo "$label failed:" >&2; cat "$work/last.err" >&2; exit 1; }
  end=$(date +%s.%N)
  results+=("$(awk -v l="$label" -v s="$start" -v e="$end" -v m="$size_mib" 'BEGIN { t = e - s; printf "| %s | %.2f | %.0f |", l, t, m / t }')")
}
same() { cmp -s "$1" "$2" || { echo "MISMATCH: $1 $2" >&2; exit 1; }; }

src="$work/src.bin"
head -c "$((size_mib * 1024 * 1024))" /dev/urandom > "$src"
home="$work/home"

# --- safewire files ---------------------------------------------------------------------------------
mkdir -p "$work/sw-root"
p=$(port)
"${sw[@]}" --home "$home" files serve --root "$work/sw-root" --port "$p" > "$work/sw.log" 2>&1 & pids+=($!)
wait_for "$work/sw.log" "Press Ctrl+C"
"${sw[@]}" --home "$home" files ls "127.0.0.1:$p" >/dev/null 2>&1 || true   # creates the client credential
"${sw[@]}" --home "$home" allow add "$home/certs/client.crt" --name client >/dev/null
run "safewire files put" "${sw[@]}" --home "$home" files put "127.0.0.1:$p" "$src" /src.bin
same "$src" "$work/sw-root/src.bin"
run "safewire files get" "${sw[@]}" --home "$home" files get "127.0.0.1:$p" /src.bin "$work/sw-get.bin"
same "$src" "$work/sw-get.bin"; rm -f "$work/sw-get.bin" "$work/sw-root/src.bin"

# --- OpenSSH scp / sftp to a temporary sshd ----------------------------------------------------------
mkdir -p /run/sshd "$work/ssh"
ssh-keygen -q -t ed25519 -N '' -f "$work/ssh/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$work/ssh/client_key"
cp "$work/ssh/client_key.pub" "$work/ssh/authorized_keys"
p=$(port)
cat > "$work/ssh/sshd_config" <<CFG
Port $p
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
run "scp upload" scp -q "${ssh_opts[@]}" -P "$p" "$src" "root@127.0.0.1:$work/ssh-up.bin"
same "$src" "$work/ssh-up.bin"
run "scp download" scp -q "${ssh_opts[@]}" -P "$p" "root@127.0.0.1:$work/ssh-up.bin" "$work/ssh-down.bin"
same "$src" "$work/ssh-down.bin"; rm -f "$work/ssh-up.bin" "$work/ssh-down.bin"
run "sftp upload" sftp -q "${ssh_opts[@]}" -P "$p" -b <(echo "put $src $work/sftp-up.bin") root@127.0.0.1
same "$src" "$work/sftp-up.bin"
run "sftp download" sftp -q "${ssh_opts[@]}" -P "$p" -b <(echo "get $work/sftp-up.bin $work/sftp-down.bin") root@127.0.0.1
same "$src" "$work/sftp-down.bin"; rm -f "$work/sftp-up.bin" "$work/sftp-down.bin"

# --- FTPS: safewire ftp serve vs vsftpd, the same curl command ---------------------------------------
ca="$home/ca/ca.crt"
curl_up()   { curl -sS --noproxy '*' --ssl-reqd --cacert "$ca" --user anonymous:bench -T "$src" "ftp://127.0.0.1:$1/up/src.bin"; }
curl_down() { curl -sS --noproxy '*' --ssl-reqd --cacert "$ca" --user anonymous:bench -o "$2" "ftp://127.0.0.1:$1/up/src.bin"; }

mkdir -p "$work/ftp-root/up"
echo bench | "${sw[@]}" ftp user add anonymous --users "$work/users.txt" --password-stdin >/dev/null
p=$(port)
"${sw[@]}" --home "$home" ftp serve --root "$work/ftp-root" --port "$p" --users "$work/users.txt" > "$work/ftp.log" 2>&1 & pids+=($!)
wait_for "$work/ftp.log" "Press Ctrl+C"
run "safewire ftp (curl upload)" curl_up "$p"
same "$src" "$work/ftp-root/up/src.bin"
run "safewire ftp (curl download)" curl_down "$p" "$work/ftp-down.bin"
same "$src" "$work/ftp-down.bin"; rm -f "$work/ftp-down.bin" "$work/ftp-root/up/src.bin"

# vsftpd: anonymous with upload, TLS forced on logins and data, TLS 1.2, the same certificate as ours.
mkdir -p /var/run/vsftpd/empty "$work/vs-root/up"
chown ftp "$work/vs-root/up" 2>/dev/null || chmod 777 "$work/vs-root/up"
p=$(port)
cat > "$work/vsftpd.conf" <<CFG
listen=YES
listen_address=127.0.0.1
listen_port=$p
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
run "vsftpd (curl upload)" curl_up "$p"
same "$src" "$work/vs-root/up/src.bin"
run "vsftpd (curl download)" curl_down "$p" "$work/vs-down.bin"
same "$src" "$work/vs-down.bin"

echo "Loopback, ${size_mib} MiB file of random bytes, one run each, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| transfer | seconds | MiB/s |"
echo "|---|---|---|"
printf '%s\n' "${results[@]}"
