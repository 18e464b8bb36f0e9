#!/usr/bin/env bash
# Ordinary work for the benign Sigma fixture: building, archiving, searching
# and checking files in WORKDIR, a local connection, a script run from the
# work directory. SigmaHQ's Linux rules should raise nothing on it. Run under
# rg-capture as root (scripts/record-sigma-captures.sh does):
#   rg-capture -o benign.rgc --follow -- bash scripts/sigma-benign-workload.sh WORKDIR [PORT]
# (PORT: a local listener on 127.0.0.1, default 18081)
set -eu
work=${1:?workdir}
port=${2:-18081}
mkdir -p "$work/project/src" "$work/out"
cd "$work/project"
printf 'int main(void) { return 0; }\n' > src/main.c
printf '#!/bin/sh\necho building\n' > build.sh
chmod 755 build.sh
./build.sh > "$work/out/build.log"
for i in 1 2 3; do printf 'line %s\n' "$i" >> notes.txt; done
sort notes.txt | uniq > "$work/out/unique.txt"
grep -c line notes.txt > "$work/out/count.txt"
sha256sum notes.txt src/main.c > "$work/out/SHA256SUMS"
tar -czf "$work/out/project.tgz" -C "$work" project
gzip -c notes.txt > "$work/out/notes.txt.gz"
sed -e 's/line/row/' notes.txt > "$work/out/rows.txt"
base64 notes.txt > "$work/out/notes.b64"
perl -e 'print "perl says hi\n"' > "$work/out/perl.txt"
date -u +%Y-%m-%d > "$work/out/date.txt"
bash -c 'echo done' > "$work/out/done.txt"
exec 3<>/dev/tcp/127.0.0.1/$port && exec 3<&-
exit 0
