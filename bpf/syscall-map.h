/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Syscall number -> call, for the x86_64 table and the ia32 (compat) one,
 * from the lists in rg_abi.h (RG_CALLS_X86_64, RG_CALLS_IA32, generated from
 * src/abi/syscalls.ts). Plain C with no BPF in it: test/abi/syscall-map.test.ts
 * compiles it with the system's cc and checks every number of both tables
 * against the schema, since IA-32 emulation is off on the machines we test on.
 * Adding a syscall: a row in syscalls.ts, a case in the dispatch (rg.bpf.c).
 */
#ifndef RG_SYSCALL_MAP_H
#define RG_SYSCALL_MAP_H

#define RG_CALL_CASE(nr, call) case nr: return call;

/* The call an x86_64 syscall number stands for, or 0 (not recorded). */
static inline int call_of_x86_64(long nr)
{
	switch (nr) {
	RG_CALLS_X86_64(RG_CALL_CASE)
	default: return 0;
	}
}

/* The call an ia32 syscall number stands for, or 0. The numbers overlap x86_64's: ask only for compat syscalls. */
static inline int call_of_ia32(long nr)
{
	switch (nr) {
	RG_CALLS_IA32(RG_CALL_CASE)
	default: return 0;
	}
}

/*
 * Could nr be recorded on either table? The one test every syscall of every
 * process pays, so it is one bounds check and one load from read-only data
 * (a bit per syscall number, both tables' numbers set), whatever the number
 * of syscalls recorded: a compare tree grew a level for every few of them.
 * Only a yes reads the task's compat bit.
 */
#define RG_RECORDED_WORDS 8 /* numbers 0..511: every syscall of both tables today */
#define RG_NR_BIT(w, nr) (((nr) >> 6) == (w) ? 1ULL << ((nr) & 63) : 0ULL)
#define RG_BIT_W0(nr, call) | RG_NR_BIT(0, nr)
#define RG_BIT_W1(nr, call) | RG_NR_BIT(1, nr)
#define RG_BIT_W2(nr, call) | RG_NR_BIT(2, nr)
#define RG_BIT_W3(nr, call) | RG_NR_BIT(3, nr)
#define RG_BIT_W4(nr, call) | RG_NR_BIT(4, nr)
#define RG_BIT_W5(nr, call) | RG_NR_BIT(5, nr)
#define RG_BIT_W6(nr, call) | RG_NR_BIT(6, nr)
#define RG_BIT_W7(nr, call) | RG_NR_BIT(7, nr)
#define RG_RECORDED_WORD(W) (0ULL RG_CALLS_X86_64(W) RG_CALLS_IA32(W))

static const volatile unsigned long long rg_recorded_syscalls[RG_RECORDED_WORDS] = {
	RG_RECORDED_WORD(RG_BIT_W0), RG_RECORDED_WORD(RG_BIT_W1), RG_RECORDED_WORD(RG_BIT_W2), RG_RECORDED_WORD(RG_BIT_W3),
	RG_RECORDED_WORD(RG_BIT_W4), RG_RECORDED_WORD(RG_BIT_W5), RG_RECORDED_WORD(RG_BIT_W6), RG_RECORDED_WORD(RG_BIT_W7),
};

static inline int maybe_recorded(long nr)
{
	if ((unsigned long)nr >= RG_RECORDED_WORDS * 64)
		return 0; /* also x32 syscalls (__X32_SYSCALL_BIT) and -1 */
	return (rg_recorded_syscalls[(unsigned long)nr >> 6] >> (nr & 63)) & 1;
}

/* The call of syscall nr on the table the task is using (compat: ia32). */
static inline int call_of_syscall(long nr, int compat)
{
	return compat ? call_of_ia32(nr) : call_of_x86_64(nr);
}

#endif /* RG_SYSCALL_MAP_H */
