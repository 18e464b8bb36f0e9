#!/usr/bin/env bash
# Builds bpf/rg.bpf.o, the one CO-RE object rg-capture loads. The object is
# committed so capture hosts need no compiler; rebuild after changing
# bpf/*.bpf.c, bpf/*.bpf.h or src/abi (run `npm run gen:header` first for the latter).
set -euo pipefail
cd "$(dirname "$0")/.."

CLANG=${CLANG:-clang}
STRIP=${LLVM_STRIP:-llvm-strip}
OUT=bpf/rg.bpf.o

# bpf/vmlinux.h comes from `bpftool btf dump file /sys/kernel/btf/vmlinux format c`;
# CO-RE relocations make the object portable to other kernels with BTF.
# -ffile-prefix-map: the object's BTF names its source files; relative names make the build the same
# byte for byte in any checkout, so CI can prove the committed object is what this source builds.
"$CLANG" -O2 -g -Wall -Werror -target bpf -D__TARGET_ARCH_x86 \
	-ffile-prefix-map="$PWD"=. -I bpf -c bpf/rg.bpf.c -o "$OUT.tmp"
# -g drops DWARF only; the .BTF/.BTF.ext sections CO-RE needs are kept.
"$STRIP" -g "$OUT.tmp"
mv "$OUT.tmp" "$OUT"

echo "built $OUT ($(stat -c %s "$OUT") bytes)"
sha256sum "$OUT"
