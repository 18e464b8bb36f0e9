#!/usr/bin/env bash
# The network lab: a private network and mount namespace with fake services,
# so the network intrusion can run anywhere without touching the host's
# network, DNS or /run. Run it as root, in the background:
#   unshare --net --mount --fork bash scripts/net/lab.sh READY_FILE &
# It writes its pid to READY_FILE once every service answers; enter it with
#   nsenter --target PID --net --mount CMD...
# and stop it with kill PID (its services go with it).
set -euo pipefail
ready=${1:?ready file}
here=$(cd "$(dirname "$0")" && pwd)
mount --make-rprivate /
ip link set lo up
for a in 10.66.0.1 10.66.0.2 10.66.0.3; do ip addr add "$a/32" dev lo; done
# An IPv6 address that is not loopback: glibc then asks for A and AAAA at once (sendmmsg).
ip addr add fd00:66::1/128 dev lo
mount -t tmpfs -o mode=0755 lab-run /run
resolv=$(mktemp)
echo 'nameserver 127.0.0.53' > "$resolv"
mount --bind "$resolv" /etc/resolv.conf
/usr/bin/python3 "$here/fake-dns.py" 127.0.0.53 &
/usr/bin/python3 "$here/services.py" &
stop() { kill $(jobs -p) 2>/dev/null; rm -f "$resolv"; }
trap stop EXIT
trap 'exit 143' TERM INT
for _ in $(seq 100); do
  if [ -S /var/run/docker.sock ] && (exec 3<>/dev/tcp/127.0.0.1/18080) 2>/dev/null; then
    echo $$ > "$ready.tmp" && mv "$ready.tmp" "$ready"
    wait
    exit 0
  fi
  sleep 0.05
done
echo "lab: services did not start" >&2
exit 1
