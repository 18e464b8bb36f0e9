/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * What every hook family shares: the maps, the capture config, the record
 * header, lost-record counting and the ring-buffer wake-up policy.
 * Included once, first, by rg.bpf.c (one CO-RE object).
 */
#ifndef RG_COMMON_BPF_H
#define RG_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "rg_abi.h"

#define AT_FDCWD -100
#define AT_EMPTY_PATH 0x1000
#define AF_INET 2
#define AF_INET6 10
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define AUID_UNSET 4294967295U
#define O_ACCMODE 00000003
#define O_WRONLY 00000001
#define O_CREAT 00000100
#define O_EXCL 00000200
#define O_TRUNC 00001000
#define O_APPEND 00002000
#define O_NOFOLLOW 00400000
#define O_PATH 010000000
#define RESOLVE_IN_ROOT 0x10
#define EINPROGRESS 115
#define EALREADY 114
#define EISCONN 106

/*
 * A kernel pointer we hold as a number (read with a helper, or kept across a
 * bpf_loop() step) made a typed BTF pointer again, so its fields are read
 * with direct loads: CO-RE relocated and fault-safe like bpf_probe_read_kernel(),
 * several times cheaper than a helper call per field. bpf_rdonly_cast() is a
 * kfunc the verifier turns into a plain move (no call at run time).
 */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;
#define KERNEL_PTR(ptr, type) ((type *)bpf_rdonly_cast((const void *)(ptr), bpf_core_type_id_kernel(type)))

/* ---- maps ---------------------------------------------------------------- */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 * 1024 * 1024); /* the loader may resize before load */
} EVENTS SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rg_capture_config);
} CONFIG SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rg_file_filter_config);
} FILE_FILTER SEC(".maps");

/* Records we could not reserve ring space for, per CPU (summed by user space). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} LOST SEC(".maps");

/*
 * tgids recorded when config.follow == 1; children inherit, exits remove. The loader sizes it before load:
 * to pid_max when following, so every tgid the kernel can give has a place (a tgid is below pid_max, so
 * not even a stale entry can crowd one out; 16,384 entries let a command that kept 16,384 processes alive
 * put every later child out of scope, silently), and to 1 otherwise. No preallocation: an entry costs
 * memory when a process is followed, the table only its buckets (16 bytes each: 512 KiB for pid_max 32768,
 * 64 MiB for 4,194,304). An insert that still fails (pid_max raised during the capture, no memory) is
 * counted as lost (handle_fork).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4 * 1024 * 1024); /* PID_MAX_LIMIT, if a loader does not size it */
	__type(key, __u32);
	__type(value, __u8);
} FOLLOWED SEC(".maps");

/*
 * A path being built. Strings start at s[0]; the second half is slack, so a
 * copy to a bounded offset with a bounded length stays in the buffer as far
 * as the verifier can tell. 8-byte aligned (zero_tail, prefix_matches).
 */
struct path_buf {
	char s[2 * PATH_LEN];
} __attribute__((aligned(8)));

/* The counters of a name joined to a directory (path_of_dir_and_name). */
struct join_vars {
	__u32 pos;             /* bytes of out */
	__u32 depth;           /* components of out with their start in s->starts[] */
	__u32 comp_start;      /* where the component being copied begins in out */
	__u32 comp_len;
	__u32 in_comp;
	__u32 all_dots;
	__u16 flags;
};

/*
 * Scratch space for building a record's strings before ring space is taken:
 * a filter must judge a path first (a full ring must only count records that
 * would have been written), and paths are walked from the leaf up but written
 * from the root down. Per CPU: these programs run with preemption disabled
 * and a program does not nest on a CPU (the kernel skips a recursive run);
 * each program uses it from the top, never across programs.
 */
struct scratch {
	struct path_buf path;   /* the record's main path: the opened file, the program, a joined name */
	struct path_buf path2;  /* a second path (exec: the cwd) */
	struct path_buf arg;    /* a name as passed, read from user memory */
	/* one path walk: each component's dentry, leaf first */
	__u64 dentries[PATH_WALK_MAX];
	/* where each component of the path being built starts (its '/'), for a lexical join's ".." */
	__u16 starts[PATH_WALK_MAX];
	char args[2 * ARGS_LEN];  /* a failed exec's argv */
	struct join_vars join;    /* a lexical join's counters (paths.bpf.h: why not on the stack) */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} SCRATCH SEC(".maps");

/*
 * Per CPU, for submit_flags(): record bytes submitted since this CPU last asked
 * the ring how much is unconsumed, and the answer it got then.
 */
struct wakeup_check {
	__u64 since;
	__u64 last_avail;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct wakeup_check);
} WAKEUP_CHECK SEC(".maps");

/* ---- common helpers ------------------------------------------------------ */

static __always_inline const struct rg_capture_config *get_config(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&CONFIG, &zero);
}

/* Should events of `kind` from process `tgid` be recorded? (not for rg-capture itself) */
static __always_inline bool wanted(const struct rg_capture_config *cfg, __u32 tgid, __u32 kind)
{
	if (tgid == cfg->self_tgid)
		return false;
	if (kind > 63 || !(cfg->events_mask & (1ULL << kind)))
		return false;
	if (cfg->follow == 1 && !bpf_map_lookup_elem(&FOLLOWED, &tgid))
		return false;
	return true;
}

static __always_inline void count_lost(void)
{
	__u32 zero = 0;
	__u64 *lost = bpf_map_lookup_elem(&LOST, &zero);
	if (lost)
		*lost += 1; /* per-CPU value: no atomics needed */
}

/*
 * The top bit of the first NUL byte of little-endian word w (0x80 << 8*i for
 * byte i), or 0 if it has none. The classic has-zero-byte test: borrows only
 * give false positives above the first zero byte, so the lowest bit is exact.
 */
static __always_inline __u64 first_nul(__u64 w)
{
	__u64 z = (w - 0x0101010101010101ULL) & ~w & 0x8080808080808080ULL;
	return z & -z;
}

/*
 * task as an untrusted BTF pointer, to read its fields. Each load of a pointer
 * field through a trusted pointer (task->cred, task->fs, ...) has the 6.18
 * verifier look its type up by name in the kernel's BTF ("cred__safe_trusted",
 * "__safe_rcu", ...: up to four linear scans of its ~127k types), once for
 * every state the load is verified in: perf put 60% of loading rg.bpf.o
 * there. Through an untrusted pointer it is the same fault-safe direct load at
 * run time (bpf_rdonly_cast() is a move) without the lookups. Helpers that
 * take a task (bpf_task_pt_regs, task storage) still need the trusted one.
 */
static __always_inline struct task_struct *task_fields(struct task_struct *task)
{
	return KERNEL_PTR(task, struct task_struct);
}

/*
 * Fills every header byte for task, the current task; `flags` may be OR-ed into
 * later. task comes from bpf_get_current_task_btf(): a trusted BTF pointer whose
 * fields are read with direct (CO-RE relocated, fault-safe) loads, several
 * times cheaper than a bpf_probe_read_kernel call per BPF_CORE_READ hop, and
 * cheaper than the helpers that read the same fields, none of which the 6.18
 * verifier inlines (measured per record: ~15 ns for bpf_get_current_pid_tgid()
 * and a second task lookup, ~40 ns for bpf_get_current_cgroup_id()).
 * comm is cut at its first NUL and zero-padded here rather than trusting the
 * kernel's padding (older kernels used strlcpy; a concurrent rename can tear).
 */
static __always_inline void fill_header(struct rg_event_header *h, __u16 kind, __u32 size, struct task_struct *task)
{
	struct task_struct *t = task_fields(task);
	/* current_cred(), as bpf_get_current_uid_gid() reads it, without the helper call */
	const struct cred *cred = t->cred;

	h->version = EVENT_SCHEMA_VERSION;
	h->kind = kind;
	h->size = size;
	h->ts_ns = bpf_ktime_get_ns();
	h->pid = t->tgid; /* as bpf_get_current_pid_tgid() reports them */
	h->tid = t->pid;
	h->ppid = t->real_parent->tgid;
	h->uid = cred->uid.val; /* kuid == uid in the initial user namespace, as the helper reports */
	h->gid = cred->gid.val;
	if (bpf_core_field_exists(t->loginuid))
		h->auid = t->loginuid.val;
	else
		h->auid = AUID_UNSET; /* kernel built without CONFIG_AUDIT */
	/* what bpf_get_current_cgroup_id() returns, cgroup_id(task_dfl_cgroup(current)), without the call */
	h->cgroup_id = t->cgroups->dfl_cgrp->kn->id;
	h->flags = 0;
	h->cpu = bpf_get_smp_processor_id();
	h->mntns = t->nsproxy->mnt_ns->ns.inum; /* a NULL nsproxy (late exit) reads as 0 */
	/* comm as two 8-byte loads instead of a bpf_get_current_comm() call (measured ~1.5% of an openat loop) */
	__u64 lo = *(const __u64 *)&t->comm[0];
	__u64 hi = *(const __u64 *)&t->comm[8];
	__u64 lo_nul = first_nul(lo);
	if (lo_nul) {
		lo &= (lo_nul >> 7) - 1;
		hi = 0;
	} else {
		__u64 hi_nul = first_nul(hi);
		hi = hi_nul ? hi & ((hi_nul >> 7) - 1) : hi & ~(0xffULL << 56); /* always terminated */
	}
	*(__u64 *)&h->comm[0] = lo;
	*(__u64 *)&h->comm[8] = hi;
	if (h->comm[COMM_LEN - 2] != 0)
		h->flags |= EVENT_FLAG_COMM_TRUNCATED;
}

/* How often, per wakeup_bytes of one CPU's records, that CPU asks the ring how full it is. */
#define WAKEUP_CHECKS 64

/*
 * Wake the reader only when enough is pending: default wake-ups cost ~3 us per
 * event. Force one wake-up when the unconsumed data crosses wakeup_bytes, not
 * for every record past it: each forced wake-up queues an irq_work, a self-IPI
 * that traps to the hypervisor in a VM (measured: 27% of an openat loop's CPU
 * when every record past the threshold forced one).
 * Each CPU asks the ring (bpf_ringbuf_query, a helper call) only once per
 * wakeup_bytes / WAKEUP_CHECKS of its own records and forces a wake-up when
 * its answer went from below the threshold to at or above it: the wake-up
 * comes at most that many bytes late (4 KiB of 256 KiB), and each CPU forces
 * at most one per crossing. Measured against asking for every record: the
 * openat program ~15-20 ns cheaper per run (bpf_stats), the same number of
 * forced wake-ups (irq_work) on an openat loop.
 * A crossing missed (a race between CPUs, or the reader draining and the ring
 * refilling between two asks of every CPU) only delays the reader to its own
 * drain timeout; the reader never sleeps while data is pending.
 */
static __always_inline __u64 submit_flags(const struct rg_capture_config *cfg, __u32 rec_size)
{
	__u64 wakeup = cfg->wakeup_bytes;
	if (wakeup == 0)
		return 0;
	__u32 zero = 0;
	struct wakeup_check *c = bpf_map_lookup_elem(&WAKEUP_CHECK, &zero);
	if (!c)
		return BPF_RB_NO_WAKEUP; /* cannot happen: a one-entry array */
	c->since += (rec_size + 8 + 7) & ~7ULL; /* 8-byte header, 8-byte aligned */
	if (c->since < wakeup / WAKEUP_CHECKS)
		return BPF_RB_NO_WAKEUP;
	c->since = 0;
	/* Per-CPU value: no atomics; an update lost to a preempting program only shifts a wake-up. */
	__u64 avail = bpf_ringbuf_query(&EVENTS, BPF_RB_AVAIL_DATA); /* includes this reserved record */
	bool crossed = avail >= wakeup && c->last_avail < wakeup;
	c->last_avail = avail;
	return crossed ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

static __always_inline struct scratch *get_scratch(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&SCRATCH, &zero);
}

/* A path buffer as 8-byte words: the type zero_path_tail() is verified for. */
struct path_words {
	__u64 w[PATH_LEN / 8];
};

/*
 * Zeroes p[n..PATH_LEN) of a path buffer: the word holding byte n is masked,
 * the words after it cleared. A global function: the verifier checks it once,
 * for any n, not once per state its many callers reach it in.
 */
__attribute__((noinline)) int zero_path_tail(struct path_words *p, __u32 n)
{
	if (!p)
		return 0;
	__u32 k = n / 8;
	if (n % 8) {
		/* k < PATH_LEN / 8 here for n <= PATH_LEN; the mask spells that out for the verifier */
		p->w[k & (PATH_LEN / 8 - 1)] &= (1ULL << (n % 8 * 8)) - 1; /* little-endian: low bytes first */
		k++;
	}
	for (__u32 i = k; i < PATH_LEN / 8; i++) {
		__u32 j = i;
		barrier_var(j); /* no memset of variable length, no pointer the verifier cannot bound */
		p->w[j & (PATH_LEN / 8 - 1)] = 0;
	}
	return 0;
}

/* Zeroes dst[n..PATH_LEN) of an 8-byte aligned dst, n <= PATH_LEN. */
static __always_inline void zero_tail(char *dst, __u32 n)
{
	zero_path_tail((struct path_words *)dst, n);
}

/*
 * Reads the user path into dst[PATH_LEN], every byte written (NUL-padded).
 * Returns the EVENT_FLAG_* bits to add: FILENAME_TRUNCATED, or
 * USER_READ_FAILED with dst all zero (the helper zeroes it on failure).
 */
static __always_inline __u16 read_user_path(char *dst, const char *upath)
{
	long n = bpf_probe_read_user_str(dst, PATH_LEN, upath);
	if (n < 0)
		return EVENT_FLAG_USER_READ_FAILED;
	/*
	 * n counts the NUL; probe_read_user_str does not pad, and the bytes after
	 * the NUL are stale (ring or scratch memory) and must not leak into records.
	 * Zeroing only them, after the read, is cheaper than a memset of the whole
	 * buffer before it (measured ~35 ns per open).
	 */
	zero_tail(dst, n);
	if (n == PATH_LEN) {
		/* PATH_LEN is returned both for exactly PATH_LEN-1 chars and for longer paths. */
		char next = 0;
		if (bpf_probe_read_user(&next, 1, upath + PATH_LEN - 1) == 0 && next != 0)
			return EVENT_FLAG_FILENAME_TRUNCATED;
	}
	return 0;
}

/* ---- syscall arguments ----------------------------------------------------- */

/* arch/x86/include/asm/thread_info.h: thread_info.status bit of a 32-bit (ia32) syscall in progress */
#define TS_COMPAT 0x0002

/* One syscall exit, as the raw sys_exit program dispatches it (see rg.bpf.c). */
struct syscall_exit {
	struct task_struct *task;  /* current, a trusted BTF pointer */
	struct pt_regs *regs;      /* the task's saved user registers: the arguments, as the syscall left them */
	long ret;
	enum rg_call call;
	bool compat;               /* an ia32 syscall: other argument registers, 32-bit pointers */
};

/*
 * Argument i (0-5) of the syscall. x86_64 passes them in di, si, dx, r10, r8,
 * r9; ia32 in bx, cx, dx, si, di, bp, of which the kernel uses the low 32 bits
 * (int 0x80 from 64-bit code can leave garbage above them).
 */
static __always_inline unsigned long syscall_arg(const struct syscall_exit *sc, int i)
{
	struct pt_regs *r = sc->regs;
	if (sc->compat) {
		switch (i) {
		case 0: return (__u32)r->bx;
		case 1: return (__u32)r->cx;
		case 2: return (__u32)r->dx;
		case 3: return (__u32)r->si;
		case 4: return (__u32)r->di;
		default: return (__u32)r->bp;
		}
	}
	switch (i) {
	case 0: return r->di;
	case 1: return r->si;
	case 2: return r->dx;
	case 3: return r->r10;
	case 4: return r->r8;
	default: return r->r9;
	}
}

#endif /* RG_COMMON_BPF_H */
