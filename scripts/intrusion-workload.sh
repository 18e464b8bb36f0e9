#!/usr/bin/env bash
# A scripted intrusion with benign look-alikes, for the demo capture and the
# detection tests. Run it under rg-capture as root:
#   rg-capture -o demo.rgc --follow -- bash scripts/intrusion-workload.sh WORKDIR PORT
# It touches the real /etc/cron.d (and removes what it wrote), runs a dropped
# binary from /dev/shm, writes an authorized_keys file under WORKDIR, runs a
# deleted binary, and connects to 127.0.0.1:PORT (a local listener); then
# scripts/intrusion-files-processes.sh works on files, processes and the kernel.
set -u
work=${1:?workdir}
port=${2:?port}
mkdir -p "$work/home/.ssh"

# --- benign look-alikes: none of these should alert ---
cat /etc/crontab > /dev/null 2>&1 || true          # reading cron config
ls /etc/systemd/system > /dev/null 2>&1 || true    # listing units
echo notes > "$work/cron.d-notes.txt"               # a cron-like name outside cron dirs
echo notes > "$work/authorized_keys.bak"            # a look-alike key file name
cat "$work/home/.ssh/../.ssh/." > /dev/null 2>&1 || true
/usr/bin/true                                       # a normal program
cp /bin/true "$work/tmpfoo-true" && "$work/tmpfoo-true"   # run from a work dir, not /tmp itself
exec 3<>"/dev/tcp/127.0.0.1/$port" 2>/dev/null && exec 3<&-  # connect (the port decides)

# --- the intrusion ---
cp /bin/sleep /dev/shm/.rg-demo-dropper && /dev/shm/.rg-demo-dropper 0   # dropped binary run from /dev/shm
echo '* * * * * root /dev/shm/.rg-demo-dropper' > /etc/cron.d/rg-demo-job  # cron persistence
echo 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIRGDEMO attacker' >> "$work/home/.ssh/authorized_keys"  # ssh persistence
cp /bin/true "$work/.deleted-tool"; exec 5<"$work/.deleted-tool"; rm -f "$work/.deleted-tool"
/proc/self/fd/5 2>/dev/null; exec 5<&-                                   # deleted binary executed
exec 4<>"/dev/tcp/127.0.0.1/4444" 2>/dev/null && exec 4<&-               # connect-back to a C2 port
bash "$(dirname "$0")/intrusion-files-processes.sh" "$work/fp"          # files, processes, privileges, the kernel

rm -f /etc/cron.d/rg-demo-job /dev/shm/.rg-demo-dropper
exit 0
