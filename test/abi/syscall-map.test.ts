/**
 * The syscalls recorded at sys_exit, mapped from their numbers on both x86
 * tables. IA-32 emulation is off on the machines we test on, so the compat
 * half cannot be exercised on a live kernel: instead the kernel program's
 * own mapping (bpf/syscall-map.h, plain C) is compiled with the system's cc
 * and asked about every number of both tables, and the numbers themselves are
 * checked against the system's <asm/unistd_64.h> and <asm/unistd_32.h>.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { callOfSyscall, SYSCALLS, SyscallCall } from '../../src/abi/syscalls.js';

const repo = new URL('../../', import.meta.url);
const MAX_NR = 1024;

/**
 * Syscalls newer than this system's kernel headers, with their numbers from
 * the kernel's own tables (arch/x86/entry/syscalls/syscall_{64,32}.tbl).
 */
const NEWER_THAN_HEADERS: Record<string, { x86_64: number; ia32: number }> = {
  fchmodat2: { x86_64: 452, ia32: 452 }, // Linux 6.6
};

/** `__NR_name value` pairs of a unistd header. */
function unistd(file: string): Map<string, number> {
  const text = readFileSync(`/usr/include/x86_64-linux-gnu/asm/${file}`, 'utf8');
  return new Map([...text.matchAll(/^#define __NR_(\w+) (\d+)$/gm)].map((m) => [m[1], Number(m[2])]));
}

describe('syscall numbers -> calls (x86_64 and ia32 compat)', () => {
  it("match the system's syscall tables", () => {
    const x64 = unistd('unistd_64.h');
    const ia32 = unistd('unistd_32.h');
    for (const s of SYSCALLS) {
      const newer = x64.has(s.name) ? undefined : NEWER_THAN_HEADERS[s.name];
      expect(s.x86_64, `${s.name} on x86_64`).toBe(newer?.x86_64 ?? x64.get(s.name) ?? null);
      expect(s.ia32, `${s.name} on ia32`).toBe(newer?.ia32 ?? ia32.get(s.name) ?? null);
    }
  });

  it('the kernel program maps every number of both tables as the schema does', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rg-sysmap-'));
    const source = join(dir, 'map.c');
    writeFileSync(source, `#include <stdio.h>
#include <linux/types.h>
#include "rg_abi.h"
#include "syscall-map.h"
int main(void)
{
	for (long nr = 0; nr < ${MAX_NR}; nr++)
		printf("%ld %d %d %d\\n", nr, call_of_syscall(nr, 0), call_of_syscall(nr, 1), maybe_recorded(nr));
	/* x32 syscalls carry __X32_SYSCALL_BIT: never recorded */
	printf("x32 %d %d\\n", call_of_syscall(0x40000000 | 257, 0), maybe_recorded(0x40000000 | 257));
	return 0;
}
`);
    const bin = join(dir, 'map');
    execFileSync('cc', ['-std=c11', '-Wall', '-Werror', '-I', new URL('bpf', repo).pathname, source, '-o', bin]);
    const lines = execFileSync(bin, { encoding: 'utf8' }).trim().split('\n');
    expect(lines.pop()).toBe('x32 0 0');
    const got = lines.map((l) => l.split(' ').map(Number));
    const want = Array.from({ length: MAX_NR }, (_, nr) => {
      const x64 = callOfSyscall(nr, false);
      const ia32 = callOfSyscall(nr, true);
      return [nr, x64, ia32, x64 !== 0 || ia32 !== 0 ? 1 : 0];
    });
    expect(got).toEqual(want);
    // The overlaps that make the compat bit necessary: the same number, another syscall.
    expect([callOfSyscall(11, false), callOfSyscall(11, true)]).toEqual([0, SyscallCall.Execve]); // munmap on x86_64
    expect([callOfSyscall(42, false), callOfSyscall(42, true)]).toEqual([SyscallCall.Connect, 0]); // pipe on ia32
    expect([callOfSyscall(5, false), callOfSyscall(5, true)]).toEqual([0, SyscallCall.Open]); // fstat on x86_64
    expect(callOfSyscall(102, true)).toBe(SyscallCall.Socketcall);
  });
});
