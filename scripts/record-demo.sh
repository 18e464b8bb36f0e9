#!/usr/bin/env bash
# Re-records captures/demo.rgc, the shipped real-kernel capture (needs root):
# the scripted intrusion in scripts/intrusion-workload.sh, then its network
# part (scripts/net-intrusion-workload.sh), both inside the network lab
# (scripts/net/lab.sh: a private network with a fake DNS server, a C2 on
# 4444, web servers on 8080 and 18080 and a fake Docker daemon), followed from
# the first exec; then regenerates every golden file. Run after `npm install`.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d /root/rg-demo.XXXXXX)
ready="$work/lab.ready"
unshare --net --mount --fork --kill-child=SIGTERM bash scripts/net/lab.sh "$ready" > "$work/lab.log" 2>&1 &
lab=$!
# unshare --fork ignores SIGTERM while it waits: stop the lab's own shell (its pid is in $ready), which stops its services.
trap '[ -f "$ready" ] && kill "$(cat "$ready")" 2>/dev/null; wait "$lab" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 200); do [ -f "$ready" ] && break; sleep 0.05; done
[ -f "$ready" ] || { echo "record-demo: the network lab did not start: $(cat "$work/lab.log")" >&2; exit 1; }
cc -O2 -o "$work/io-uring-curing" scripts/net/io-uring-curing.c
# Two scripts under one shell that connects nowhere itself: a shell started by a shell that has just
# connected out is what network.reverse_shell looks for.
RG_CURING="$work/io-uring-curing" node dist/src/capture/cli.js -o captures/demo.rgc --force --follow -- \
  nsenter --target "$(cat "$ready")" --net --mount \
  bash -c 'bash "$1/scripts/intrusion-workload.sh" "$2" 18080 && bash "$1/scripts/net-intrusion-workload.sh" "$2/net"' demo "$PWD" "$work/w"
node dist/test/support/write-fixtures.js
