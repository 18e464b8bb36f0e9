#!/usr/bin/env bash
# System packages rand-guard needs beyond Node.js, for a fresh Debian/Ubuntu machine:
#   zstd              the CLI (tests check that a capture is a plain zstd stream)
#   libbpf1           libbpf.so.1, loaded by rg-capture through koffi
#   clang llvm libbpf-dev bpftool   rebuilding bpf/rg.bpf.o from source (npm run build:bpf)
#   python3 make g++  building zstd-napi's native addon during npm ci
#   clickhouse-server clickhouse-client   the distributed-export test (test/export/clickhouse.test.ts) loads
#                     an export into a real ClickHouse (Debian's 18.16), started on its own ports
#   chromium          the browser the report tests drive (playwright-core downloads none)
#   iproute2 curl     the network lab and intrusion of the real-kernel tests (ip, curl; unshare/nsenter are util-linux)
# Replay needs none of the BPF packages; capture hosts need only libbpf1.
set -euo pipefail
packages=(zstd libbpf1 clang llvm libbpf-dev bpftool python3 make g++ clickhouse-server clickhouse-client chromium iproute2 curl)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi
echo "system packages: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
