#!/usr/bin/env bash
# Re-records captures/demo.rgc, the shipped real-kernel capture (needs root):
# the scripted intrusion in scripts/intrusion-workload.sh, followed from its
# first exec, then regenerates every golden file. Run after `npm install`.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d /root/rg-demo.XXXXXX)
trap 'kill "$listener" 2>/dev/null || true; rm -rf "$work"' EXIT
# Local listeners: 4444 is a watched C2 port, 18080 a benign one.
node -e "const n=require('node:net');for(const p of [4444,18080])n.createServer(s=>s.destroy()).listen(p,'127.0.0.1');setTimeout(()=>process.exit(0),30000)" &
listener=$!
sleep 0.5
node dist/src/capture/cli.js -o captures/demo.rgc --force --follow -- bash scripts/intrusion-workload.sh "$work" 18080
node dist/test/support/write-fixtures.js
