#!/usr/bin/env bash
# What `npm run bench` needs beyond scripts/install-system-deps.sh (the bench is not part of CI):
#   sysdig            the peer replay row (`sysdig -r FILE -j` reads .scap files; its driver is not needed)
#   gcc make          the C workloads and proc-time (the bench's whole-process timer), and the build in
#                     bench/workloads/mixed-work.sh
#   git curl tar gzip python3   the rest of mixed-work.sh (git run, HTTP clients and server, file churn)
set -euo pipefail
packages=(sysdig gcc make git curl tar gzip python3)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "bench packages: all present"
  exit 0
fi
echo "bench packages: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
