#!/usr/bin/env bash
# A benign build-and-test run, the detections' false-positive check: a small
# C project is written, built with make, tested, packaged and cleaned, with
# the file moves a build does (temporary files renamed into place, sed -i,
# install -m, symlinks, chmod +x, rm -rf of the build tree, a git commit).
# Run it under rg-capture; `rg-replay --alerts` must print nothing.
#   bash scripts/benign-build-workload.sh WORKDIR
set -eu
work=${1:?workdir}
src="$work/project"
mkdir -p "$src/src" "$src/tests"
cd "$src"

cat > src/greet.c <<'EOF'
#include <stdio.h>
int greet(const char *who, char *out, int n) { return snprintf(out, n, "hello, %s", who); }
EOF
cat > src/main.c <<'EOF'
#include <stdio.h>
int greet(const char *who, char *out, int n);
int main(int argc, char **argv) { char b[64]; greet(argc > 1 ? argv[1] : "world", b, sizeof b); puts(b); return 0; }
EOF
cat > tests/run.sh <<'EOF'
#!/bin/sh
out=$("$1" tester)
[ "$out" = "hello, tester" ] || { echo "FAIL: $out"; exit 1; }
echo PASS
EOF
cat > Makefile <<'EOF'
CC ?= cc
build/greet: build/main.o build/greet.o
	$(CC) -o $@.tmp $^ && mv $@.tmp $@
build/%.o: src/%.c | build
	$(CC) -O1 -c -o $@ $<
build:
	mkdir -p build
check: build/greet
	sh tests/run.sh ./build/greet > build/test.log 2>&1
install: build/greet
	install -d $(DESTDIR)/bin && install -m 755 build/greet $(DESTDIR)/bin/greet
clean:
	rm -rf build stage
.PHONY: check install clean
EOF
chmod +x tests/run.sh

make -s -j2
make -s check
cat build/test.log > /dev/null
sed -i 's/hello/hello/' src/greet.c                 # sed -i: a temporary file renamed over the source
make -s install DESTDIR="$src/stage"
ln -sf greet "$src/stage/bin/greet-latest"
tar -czf "$work/greet.tar.gz" -C "$src" stage
git init -q "$src" && git -C "$src" add -A && git -C "$src" -c user.name=ci -c user.email=ci@example.invalid commit -qm build
make -s clean
rm -rf "$src/.git" "$work/greet.tar.gz"
find "$src" -name '*.c' | sort > /dev/null
echo benign build done
