/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Syscall number -> call, for the x86_64 table and the ia32 (compat) one,
 * from the numbers in rg_abi.h (generated from src/abi/syscalls.ts). Plain C
 * with no BPF in it: test/abi/syscall-map.test.ts compiles it with the
 * system's cc and checks every number of both tables against the schema,
 * since IA-32 emulation is off on the machines we test on.
 * Adding a syscall: a row in syscalls.ts, a case below, a case in the
 * dispatch (rg.bpf.c).
 */
#ifndef RG_SYSCALL_MAP_H
#define RG_SYSCALL_MAP_H

/* The call an x86_64 syscall number stands for, or 0 (not recorded). */
static inline int call_of_x86_64(long nr)
{
	switch (nr) {
	case NR64_open: return RG_CALL_OPEN;
	case NR64_openat: return RG_CALL_OPENAT;
	case NR64_openat2: return RG_CALL_OPENAT2;
	case NR64_creat: return RG_CALL_CREAT;
	case NR64_open_by_handle_at: return RG_CALL_OPEN_BY_HANDLE_AT;
	case NR64_connect: return RG_CALL_CONNECT;
	case NR64_execve: return RG_CALL_EXECVE;
	case NR64_execveat: return RG_CALL_EXECVEAT;
	case NR64_bind: return RG_CALL_BIND;
	case NR64_listen: return RG_CALL_LISTEN;
	case NR64_accept: return RG_CALL_ACCEPT;
	case NR64_accept4: return RG_CALL_ACCEPT4;
	case NR64_io_uring_setup: return RG_CALL_IO_URING_SETUP;
	default: return 0;
	}
}

/* The call an ia32 syscall number stands for, or 0. The numbers overlap x86_64's: ask only for compat syscalls. */
static inline int call_of_ia32(long nr)
{
	switch (nr) {
	case NR32_open: return RG_CALL_OPEN;
	case NR32_openat: return RG_CALL_OPENAT;
	case NR32_openat2: return RG_CALL_OPENAT2;
	case NR32_creat: return RG_CALL_CREAT;
	case NR32_open_by_handle_at: return RG_CALL_OPEN_BY_HANDLE_AT;
	case NR32_connect: return RG_CALL_CONNECT;
	case NR32_socketcall: return RG_CALL_SOCKETCALL;
	case NR32_execve: return RG_CALL_EXECVE;
	case NR32_execveat: return RG_CALL_EXECVEAT;
	case NR32_bind: return RG_CALL_BIND;
	case NR32_listen: return RG_CALL_LISTEN;
	case NR32_accept4: return RG_CALL_ACCEPT4;
	case NR32_io_uring_setup: return RG_CALL_IO_URING_SETUP;
	default: return 0;
	}
}

/*
 * Could nr be recorded on either table? The one test every syscall of every
 * process pays: one compare tree, no memory but the number. Only a yes reads
 * the task's compat bit.
 */
static inline int maybe_recorded(long nr)
{
	switch (nr) {
	case NR64_open: case NR64_openat: case NR64_openat2: case NR64_creat: case NR64_open_by_handle_at:
	case NR64_connect: case NR64_execve: case NR64_execveat:
	case NR64_bind: case NR64_listen: case NR64_accept: case NR64_accept4: case NR64_io_uring_setup:
	case NR32_open: case NR32_openat: /* NR32_openat2 == NR64_openat2 */ case NR32_creat: case NR32_open_by_handle_at:
	case NR32_connect: case NR32_socketcall: case NR32_execve: case NR32_execveat:
	case NR32_bind: case NR32_listen: case NR32_accept4: /* NR32_io_uring_setup == NR64_io_uring_setup */
		return 1;
	default:
		return 0;
	}
}

/* The call of syscall nr on the table the task is using (compat: ia32). */
static inline int call_of_syscall(long nr, int compat)
{
	return compat ? call_of_ia32(nr) : call_of_x86_64(nr);
}

#endif /* RG_SYSCALL_MAP_H */
