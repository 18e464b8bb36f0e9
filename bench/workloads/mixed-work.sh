#!/usr/bin/env bash
# bench workload: real mixed work, for the capture the replay targets are judged on
# (bench/work-capture.ts records it with `rg-capture --follow`). Unlike mixed-loop.c (one
# process over 16 paths, the best case for every cache), this is what a host does:
#   build    a few dozen small C files compiled with make -j2 (make, gcc, cc1, as, collect2, ld)
#   git      init, add, commit, status, log, diff, branch, checkout over a tree of ~1500 files
#   churn    package-manager-like: extract a tarball of ~2500 files, verify each file (a Python
#            pass that reads them all), copy the tree into place, rename, delete the old copy
#   network  a Python http.server on 127.0.0.1: curl processes, a Python client opening a new
#            connection per request, and DNS-like UDP queries to a local responder
# Usage: mixed-work.sh ROUNDS SCRATCH_DIR. Everything it writes stays under SCRATCH_DIR.
# Prints "<rounds> <elapsed_ns> <cpu_ns>" as its last stdout line, like the C workloads.
set -euo pipefail
rounds=${1:?usage: mixed-work.sh ROUNDS SCRATCH_DIR}
scratch=${2:?usage: mixed-work.sh ROUNDS SCRATCH_DIR}
py=/usr/bin/python3
[ -x "$py" ] || py=python3
mkdir -p "$scratch"
scratch=$(cd "$scratch" && pwd)
export HOME="$scratch/home" GIT_CONFIG_NOSYSTEM=1 LC_ALL=C
mkdir -p "$HOME"
t0=$(date +%s%N)

# ---- inputs, made once ------------------------------------------------------
make_sources() {
  local dir=$1 n=$2
  mkdir -p "$dir/src" "$dir/include"
  printf '#ifndef COMMON_H\n#define COMMON_H\n#include <stddef.h>\n#include <stdint.h>\nuint64_t mix(uint64_t x);\n#endif\n' > "$dir/include/common.h"
  local calls=''
  for i in $(seq 1 "$n"); do
    cat > "$dir/src/unit$i.c" <<EOF
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <errno.h>
#include <unistd.h>
#include "common.h"
uint64_t unit$i(uint64_t x) { char b[32]; snprintf(b, sizeof b, "%llu", (unsigned long long)x); return mix(x + strlen(b) + $i) ^ (uint64_t)sqrt((double)x); }
EOF
    calls="$calls uint64_t unit$i(uint64_t); acc ^= unit$i(acc);"
  done
  printf '#include "common.h"\nuint64_t mix(uint64_t x) { x ^= x >> 33; x *= 0xff51afd7ed558ccdULL; return x ^ (x >> 33); }\n' > "$dir/src/mix.c"
  printf '#include <stdio.h>\n#include "common.h"\nint main(void) { uint64_t acc = 1; %s printf("%%llu\\n", (unsigned long long)acc); return 0; }\n' "$calls" > "$dir/src/main.c"
  cat > "$dir/Makefile" <<'EOF'
SRCS := $(wildcard src/*.c)
OBJS := $(SRCS:src/%.c=obj/%.o)
app: $(OBJS)
	cc -o $@ $(OBJS) -lm
obj/%.o: src/%.c include/common.h | obj
	cc -O1 -Iinclude -c $< -o $@
obj:
	mkdir -p obj
clean:
	rm -rf obj app
EOF
}

make_package() {
  # ~2500 small files in nested directories, as an npm or pip package tree looks
  "$py" - "$1" <<'EOF'
import os, sys
root = sys.argv[1]
for d in range(50):
    sub = os.path.join(root, f"pkg{d % 10}", "lib", f"mod{d}")
    os.makedirs(sub, exist_ok=True)
    for f in range(50):
        with open(os.path.join(sub, f"file{f}.js" if f % 3 else f"file{f}.json"), "w") as out:
            out.write(f"// module {d}/{f}\nexport const v{f} = {d * 100 + f};\n" * (1 + f % 4))
EOF
}

mkdir -p "$scratch/in"
if [ ! -f "$scratch/in/pkg.tar.gz" ]; then
  make_sources "$scratch/in/project" 40
  make_package "$scratch/in/pkg"
  tar -czf "$scratch/in/pkg.tar.gz" -C "$scratch/in" pkg
fi
mkdir -p "$scratch/www"
head -c 20000 /dev/zero | tr '\0' 'x' > "$scratch/www/index.html"
for i in $(seq 1 20); do printf 'asset %s\n' "$i" > "$scratch/www/asset$i.css"; done

# ---- network: servers for the whole run ---------------------------------------
port_file="$scratch/http.port"
rm -f "$port_file"
"$py" - "$scratch/www" "$port_file" <<'EOF' &
import functools, http.server, os, sys
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
handler.func.log_message = lambda *a: None
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
srv.serve_forever()
EOF
http_pid=$!
dns_file="$scratch/dns.port"
rm -f "$dns_file"
"$py" - "$dns_file" <<'EOF' &
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    q, peer = s.recvfrom(512)
    s.sendto(q[:2] + b"\x81\x80" + q[4:], peer)  # a DNS-shaped answer: the query echoed with QR set
EOF
dns_pid=$!
trap 'kill $http_pid $dns_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 200); do [ -f "$port_file" ] && [ -f "$dns_file" ] && break; sleep 0.05; done
http_port=$(cat "$port_file")
dns_port=$(cat "$dns_file")

# ---- one round ------------------------------------------------------------------
build() {
  rm -rf "$scratch/build"
  cp -r "$scratch/in/project" "$scratch/build"
  make -s -j2 -C "$scratch/build" app
  "$scratch/build/app" > /dev/null
}

git_run() {
  local repo="$scratch/repo"
  rm -rf "$repo"
  mkdir -p "$repo"
  cp -r "$scratch/in/project/src" "$scratch/in/pkg" "$repo/"
  cd "$repo"
  git init -q -b main
  git -c user.name=bench -c user.email=bench@localhost add -A
  git -c user.name=bench -c user.email=bench@localhost commit -q -m 'import'
  for f in src/unit1*.c pkg/pkg1/lib/mod1/*.js; do echo '// touched' >> "$f"; done
  git status --short > /dev/null
  git diff --stat > /dev/null
  git -c user.name=bench -c user.email=bench@localhost commit -q -am 'touch'
  git checkout -q -b topic
  git rm -q -r pkg/pkg2
  git -c user.name=bench -c user.email=bench@localhost commit -q -m 'drop pkg2'
  git checkout -q main
  git log --stat --oneline > /dev/null
  git status > /dev/null
  cd "$scratch"
}

churn() {
  local r=$1 modules="$scratch/node_modules"
  rm -rf "$scratch/staging"
  mkdir -p "$scratch/staging" "$modules"
  tar -xzf "$scratch/in/pkg.tar.gz" -C "$scratch/staging"
  "$py" - "$scratch/staging/pkg" <<'EOF'
import hashlib, os, sys
digest = hashlib.sha256()
for top, dirs, files in os.walk(sys.argv[1]):
    dirs.sort()
    for name in sorted(files):
        with open(os.path.join(top, name), "rb") as f:
            digest.update(f.read())
with open(os.path.join(sys.argv[1], "integrity.txt"), "w") as f:
    f.write(digest.hexdigest())
EOF
  cp -r "$scratch/staging/pkg" "$modules/.pkg-$r.tmp"
  mv "$modules/.pkg-$r.tmp" "$modules/pkg-$r"
  "$py" -c 'import os, sys
for top, _, files in os.walk(sys.argv[1]):
    for name in files:
        os.rename(os.path.join(top, name), os.path.join(top, name + ".orig"))
        os.rename(os.path.join(top, name + ".orig"), os.path.join(top, name))' "$modules/pkg-$r"
  rm -rf "$modules/pkg-$((r - 1))" "$scratch/staging"
}

network() {
  for i in $(seq 1 15); do curl -s -o /dev/null "http://127.0.0.1:$http_port/asset$i.css"; done
  curl -s -o /dev/null -o /dev/null "http://127.0.0.1:$http_port/" "http://127.0.0.1:$http_port/asset1.css"
  "$py" - "$http_port" "$dns_port" <<'EOF'
import http.client, socket, sys
port, dns = int(sys.argv[1]), int(sys.argv[2])
for i in range(150):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    c.request("GET", f"/asset{1 + i % 20}.css")
    c.getresponse().read()
    c.close()
for i in range(300):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.connect(("127.0.0.1", dns))
    s.send(i.to_bytes(2, "big") + b"\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07example\x03com\x00\x00\x01\x00\x01")
    s.recv(512)
    s.close()
closed = socket.socket()
try:
    closed.connect(("127.0.0.1", 9))  # nobody listens: ECONNREFUSED, recorded too
except OSError:
    pass
EOF
  getent hosts localhost > /dev/null || true
}

for r in $(seq 1 "$rounds"); do
  build
  git_run
  churn "$r"
  network
done
rm -rf "$scratch/node_modules" "$scratch/build" "$scratch/repo"
t1=$(date +%s%N)
read -r _ utime stime cutime cstime _ < <(awk '{ print 0, $14, $15, $16, $17, 0 }' /proc/$$/stat)
echo "$rounds $((t1 - t0)) $(( (utime + stime + cutime + cstime) * 10000000 ))"
