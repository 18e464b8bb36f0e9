#!/usr/bin/env bash
# Re-records the Sigma fixtures (needs root): captures/sigma/intrusion.rgc, a
# real capture of scripts/sigma-intrusion-workload.sh, and
# captures/sigma/benign.rgc, of scripts/sigma-benign-workload.sh, each
# followed from its first exec. test/sigma/fixtures.test.ts says which
# SigmaHQ rules must fire on each. Run after `npm install`.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d /root/rg-sigma.XXXXXX)
trap 'kill "$listeners" 2>/dev/null || true; rm -rf "$work"' EXIT
# A "remote" listener on 127.0.0.2:4444 that hangs up at once, and a local HTTP server for the download.
node -e "
const net = require('node:net'), http = require('node:http');
net.createServer((s) => s.destroy()).listen(4444, '127.0.0.2');
http.createServer((q, r) => r.end('#!/bin/sh\necho payload\n')).listen(18081, '127.0.0.1');
setTimeout(() => process.exit(0), 60000);" &
listeners=$!
sleep 0.5
mkdir -p "$work/intrusion" "$work/benign"
node dist/src/capture/cli.js -o captures/sigma/intrusion.rgc --force --follow -- bash scripts/sigma-intrusion-workload.sh "$work/intrusion"
node dist/src/capture/cli.js -o captures/sigma/benign.rgc --force --follow -- bash scripts/sigma-benign-workload.sh "$work/benign"
ls -l captures/sigma/intrusion.rgc captures/sigma/benign.rgc
