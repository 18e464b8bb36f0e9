// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * rand-guard kernel side: one CO-RE object, tracepoints only (fentry/fexit,
 * LSM and kprobes are not available on the capture hosts we target).
 *
 * Each handler reads top to bottom: get ids, filter, reserve, fill, submit.
 * Every byte of every record is written: records are evidence and must be
 * deterministic, and bpf_ringbuf_reserve() hands out uninitialised memory.
 * The record layouts live in rg_abi.h (GENERATED from src/abi, never edit).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "rg_abi.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL"; /* probe_read_user & co are GPL-only */

#define AT_FDCWD -100
#define AF_INET 2
#define AF_INET6 10
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define AUID_UNSET 4294967295U

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

/* tgids recorded when config.follow == 1; children inherit, exits remove. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u8);
} FOLLOWED SEC(".maps");

/*
 * Where a path is read when FILE_FILTER must judge it before ring space is
 * taken (a full ring must only count opens that would have been recorded).
 * Per CPU: the sys_exit program does not nest on a CPU (the kernel skips a
 * program's recursive run).
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, char[PATH_LEN]);
} PATH_SCRATCH SEC(".maps");

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
	if (!(cfg->events_mask & (1U << kind)))
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
	/* current_cred(), as bpf_get_current_uid_gid() reads it, without the helper call */
	const struct cred *cred = task->cred;

	h->version = EVENT_SCHEMA_VERSION;
	h->kind = kind;
	h->size = size;
	h->ts_ns = bpf_ktime_get_ns();
	h->pid = task->tgid; /* as bpf_get_current_pid_tgid() reports them */
	h->tid = task->pid;
	h->ppid = task->real_parent->tgid;
	h->uid = cred->uid.val; /* kuid == uid in the initial user namespace, as the helper reports */
	h->gid = cred->gid.val;
	if (bpf_core_field_exists(task->loginuid))
		h->auid = task->loginuid.val;
	else
		h->auid = AUID_UNSET; /* kernel built without CONFIG_AUDIT */
	/* what bpf_get_current_cgroup_id() returns, cgroup_id(task_dfl_cgroup(current)), without the call */
	h->cgroup_id = task->cgroups->dfl_cgrp->kn->id;
	h->flags = 0;
	h->cpu = bpf_get_smp_processor_id();
	h->mntns = task->nsproxy->mnt_ns->ns.inum; /* a NULL nsproxy (late exit) reads as 0 */
	/* comm as two 8-byte loads instead of a bpf_get_current_comm() call (measured ~1.5% of an openat loop) */
	__u64 lo = *(const __u64 *)&task->comm[0];
	__u64 hi = *(const __u64 *)&task->comm[8];
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

/* ---- process: exec ------------------------------------------------------- */

SEC("tp_btf/sched_process_exec")
int BPF_PROG(handle_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct task_struct *task = bpf_get_current_task_btf();
	const struct rg_capture_config *cfg = get_config();
	if (!cfg || !wanted(cfg, task->tgid, RG_KIND_PROCESS_EXEC))
		return 0;

	struct rg_process_exec *e = bpf_ringbuf_reserve(&EVENTS, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	fill_header(&e->hdr, RG_KIND_PROCESS_EXEC, sizeof(*e), task);
	__builtin_memset(e->filename, 0, sizeof(e->filename));
	__builtin_memset(e->args, 0, sizeof(e->args));
	/* p and bprm are trusted BTF arguments: direct (CO-RE relocated, fault-safe) loads, no helper per hop. */
	e->argc = bprm->argc;

	struct inode *inode = bprm->file->f_inode;
	e->exe_ino = inode->i_ino;
	if (inode->i_nlink == 0)
		e->hdr.flags |= EVENT_FLAG_EXE_DELETED;

	/* A return of PATH_LEN means "filled the buffer": it was cut only if more bytes follow. */
	const char *filename = bprm->filename;
	long n = bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), filename);
	if (n == PATH_LEN) {
		char next = 0;
		bpf_probe_read_kernel(&next, 1, filename + PATH_LEN - 1);
		if (next != 0)
			e->hdr.flags |= EVENT_FLAG_FILENAME_TRUNCATED;
	} else if (n < 0) {
		__builtin_memset(e->filename, 0, sizeof(e->filename));
	}

	/*
	 * The new argv sits between mm->arg_start and arg_end of the new image. No
	 * retry as for opens: exec's copy_strings() has just written these pages
	 * through get_user_pages(), so they are resident (0 failures in 3000 execs).
	 */
	struct mm_struct *mm = p->mm;
	unsigned long start = mm->arg_start;
	unsigned long end = mm->arg_end;
	__u64 len = end > start ? end - start : 0;
	if (len > ARGS_LEN) {
		len = ARGS_LEN;
		e->hdr.flags |= EVENT_FLAG_ARGS_TRUNCATED;
	}
	e->args_size = 0;
	if (len > 0) {
		if (bpf_probe_read_user(e->args, len, (const void *)start) == 0) {
			e->args_size = len;
		} else {
			/* the helper zeroes the buffer on failure; say so rather than emit garbage */
			e->hdr.flags |= EVENT_FLAG_USER_READ_FAILED;
		}
	}
	bpf_ringbuf_submit(e, submit_flags(cfg, sizeof(*e)));
	return 0;
}

/* ---- process: fork ------------------------------------------------------- */

SEC("tp_btf/sched_process_fork")
int BPF_PROG(handle_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 child_pid = child->pid;
	__u32 child_tgid = child->tgid;
	if (child_pid != child_tgid)
		return 0; /* a new thread, not a new process */

	struct task_struct *task = bpf_get_current_task_btf();
	__u32 parent_tgid = task->tgid;
	const struct rg_capture_config *cfg = get_config();
	if (!cfg)
		return 0;
	/*
	 * Propagate follow before any other filter, so descendants are never missed.
	 * rg-capture forks nothing but the command, so its children are followed
	 * from the fork on: user space learns the pid only after the child may
	 * already have exec'd, too late for the command's first exec and opens.
	 */
	if (cfg->follow == 1 &&
	    (parent_tgid == cfg->self_tgid || bpf_map_lookup_elem(&FOLLOWED, &parent_tgid))) {
		__u8 one = 1;
		bpf_map_update_elem(&FOLLOWED, &child_tgid, &one, BPF_ANY);
	}

	/*
	 * rg-capture forks nothing but the command, so that fork is the command's
	 * birth, not rg-capture's own activity: record it, or the command's root
	 * process would have no observed start.
	 */
	if (parent_tgid == cfg->self_tgid) {
		if (!(cfg->events_mask & (1U << RG_KIND_PROCESS_FORK)))
			return 0;
	} else if (!wanted(cfg, parent_tgid, RG_KIND_PROCESS_FORK)) {
		return 0;
	}

	struct rg_process_fork *e = bpf_ringbuf_reserve(&EVENTS, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	fill_header(&e->hdr, RG_KIND_PROCESS_FORK, sizeof(*e), task);
	e->child_pid = child_tgid;
	e->child_tid = child_pid;
	bpf_ringbuf_submit(e, submit_flags(cfg, sizeof(*e)));
	return 0;
}

/* ---- process: exit ------------------------------------------------------- */

SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_exit, struct task_struct *p)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 tgid = task->tgid;
	if (task->pid != tgid)
		return 0; /* only the thread-group leader ends the process */

	const struct rg_capture_config *cfg = get_config();
	if (cfg && wanted(cfg, tgid, RG_KIND_PROCESS_EXIT)) {
		struct rg_process_exit *e = bpf_ringbuf_reserve(&EVENTS, sizeof(*e), 0);
		if (e) {
			fill_header(&e->hdr, RG_KIND_PROCESS_EXIT, sizeof(*e), task);
			e->start_ns = p->start_time;
			e->exit_status = p->exit_code; /* set by do_exit before this tracepoint */
			e->reserved = 0;
			bpf_ringbuf_submit(e, submit_flags(cfg, sizeof(*e)));
		} else {
			count_lost();
		}
	}
	/* After the emit: the follow check above still needs the entry. */
	bpf_map_delete_elem(&FOLLOWED, &tgid);
	return 0;
}

/* ---- file: open, openat, openat2 ----------------------------------------- */

/*
 * Opens are recorded from sys_exit alone, with the arguments taken from the
 * task's saved user registers (pt_regs), which the syscall leaves as it found
 * them. No sys_enter program, so no per-thread stash, and the path is read
 * after the kernel's getname() has faulted its page in: a string in a page the
 * process had not touched yet (a library's .rodata, say) reads fine here, while
 * at sys_enter bpf_probe_read_user() cannot fault it in and fails. Measured:
 * half the BPF time per open, and no unreadable paths in real captures.
 */

/* Does path start with prefix[0..len)? Compared 8 bytes at a time (prefix bytes past len are 0). */
static __always_inline bool prefix_matches(const char *path, const char *prefix, __u32 len)
{
	for (__u32 off = 0; off < FILE_FILTER_PREFIX_LEN; off += 8) {
		if (off >= len)
			return true;
		__u64 a = *(const __u64 *)(path + off);
		__u64 b = *(const __u64 *)(prefix + off);
		__u32 left = len - off;
		if (left < 8) {
			__u64 mask = (1ULL << (left * 8)) - 1; /* little-endian: low bytes come first */
			return ((a ^ b) & mask) == 0;
		}
		if (a != b)
			return false;
	}
	return true;
}

/* FILE_FILTER if it has prefixes, else NULL (every open is recorded). */
static __always_inline const struct rg_file_filter_config *active_filter(void)
{
	__u32 zero = 0;
	const struct rg_file_filter_config *f = bpf_map_lookup_elem(&FILE_FILTER, &zero);
	return f && f->prefix_count != 0 ? f : NULL;
}

/* Does path (PATH_LEN bytes, 8-byte aligned) start with one of the filter's prefixes? */
static __always_inline bool path_passes_filter(const struct rg_file_filter_config *f, const char *path)
{
	for (__u32 i = 0; i < FILE_FILTER_MAX_PREFIXES; i++) {
		if (i >= f->prefix_count)
			break;
		__u32 len = f->prefix_lens[i];
		if (len == 0 || len > FILE_FILTER_PREFIX_LEN)
			continue;
		if (prefix_matches(path, f->prefixes + i * FILE_FILTER_PREFIX_LEN, len))
			return true;
	}
	return false;
}

/*
 * Zeroes dst[n..PATH_LEN) of an 8-byte aligned dst: the word holding byte n
 * is masked, the words after it cleared.
 */
static __always_inline void zero_tail(char *dst, __u32 n)
{
	__u64 *w = (__u64 *)dst;
	__u32 k = n / 8;
	if (n % 8) {
		/* k < PATH_LEN / 8 here; the mask only spells that out for the verifier */
		w[k & (PATH_LEN / 8 - 1)] &= (1ULL << (n % 8 * 8)) - 1; /* little-endian: low bytes first */
		k++;
	}
	for (__u32 i = 0; i < PATH_LEN / 8; i++)
		if (i >= k)
			w[i] = 0;
}

/*
 * Reads the user path into dst[PATH_LEN], every byte written (NUL-padded).
 * Returns the EVENT_FLAG_* bits to add: FILENAME_TRUNCATED, or
 * USER_READ_FAILED with dst all zero (the helper zeroes it on failure).
 */
static __always_inline __u16 read_path(char *dst, const char *upath)
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

enum open_call { CALL_OPEN, CALL_OPENAT, CALL_OPENAT2 };

/* One open flavour at sys_exit: arguments from pt_regs, filter, reserve, fill, submit. */
static __always_inline int open_exit(struct task_struct *task, struct pt_regs *regs, long ret, enum open_call call)
{
	__u32 tgid = task->tgid;
	const struct rg_capture_config *cfg = get_config();
	if (!cfg)
		return 0;
	/* The readiness canary: rg-capture's own opens pass every filter while armed. */
	bool canary = tgid == cfg->self_tgid && cfg->canary_armed == 1;
	if (!canary && !wanted(cfg, tgid, RG_KIND_FILE_OPEN))
		return 0;

	const char *upath;
	__s32 dirfd;
	__u32 flags = 0, mode = 0;
	__u16 ev_flags = 0;
	if (call == CALL_OPEN) {
		dirfd = AT_FDCWD;
		upath = (const char *)PT_REGS_PARM1_SYSCALL(regs);
		flags = PT_REGS_PARM2_SYSCALL(regs);
		mode = PT_REGS_PARM3_SYSCALL(regs);
	} else {
		dirfd = PT_REGS_PARM1_SYSCALL(regs);
		upath = (const char *)PT_REGS_PARM2_SYSCALL(regs);
		if (call == CALL_OPENAT) {
			flags = PT_REGS_PARM3_SYSCALL(regs);
			mode = PT_REGS_PARM4_SYSCALL(regs);
		} else {
			/* openat2's flags and mode are in user memory too (struct open_how) */
			struct open_how how = {};
			ev_flags = EVENT_FLAG_OPENAT2;
			if (bpf_probe_read_user(&how, sizeof(how.flags) + sizeof(how.mode),
						(const void *)PT_REGS_PARM3_SYSCALL(regs)) == 0) {
				flags = how.flags;
				mode = how.mode;
			} else {
				ev_flags |= EVENT_FLAG_USER_READ_FAILED;
			}
		}
	}

	/* With a filter, judge the path before taking ring space; an unreadable path never matches. */
	const struct rg_file_filter_config *f = canary ? NULL : active_filter();
	char *scratch = NULL;
	if (f) {
		__u32 zero = 0;
		scratch = bpf_map_lookup_elem(&PATH_SCRATCH, &zero);
		if (!scratch)
			return 0;
		__u16 read = read_path(scratch, upath);
		if ((read & EVENT_FLAG_USER_READ_FAILED) || !path_passes_filter(f, scratch))
			return 0;
		ev_flags |= read;
	}

	struct rg_file_open *e = bpf_ringbuf_reserve(&EVENTS, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	fill_header(&e->hdr, RG_KIND_FILE_OPEN, sizeof(*e), task);
	if (scratch)
		__builtin_memcpy(e->path, scratch, sizeof(e->path));
	else
		ev_flags |= read_path(e->path, upath);
	e->hdr.flags |= ev_flags;
	e->open_flags = flags;
	e->mode = mode;
	e->result = ret;
	e->dirfd = dirfd;
	bpf_ringbuf_submit(e, submit_flags(cfg, sizeof(*e)));
	return 0;
}

/* ---- network: connect ---------------------------------------------------- */

/*
 * Connects are recorded from sys_exit alone, like opens: fd and sockaddr come
 * from the task's saved user registers. A sys_enter_connect program would make
 * more than connect pay: once any sys_enter_* tracepoint has a program, every
 * syscall of every process takes the sys_enter tracing path. One run each way
 * measured the overhead on an openat loop that never connects at about 36%
 * with such a program and 33% without (single runs on a noisy shared VM).
 * And at sys_exit move_addr_to_kernel() has already faulted the sockaddr in,
 * so a sockaddr in a page the process had not touched yet reads fine, with
 * no per-thread stash and no retry.
 */

/* What a connect record carries besides the header and the result. */
struct connect_info {
	__u8 addr[ADDR_LEN];
	__u16 family;
	__u16 port;
	__u16 protocol;
	__u16 sock_type;
};

/* Best effort IPPROTO_* and SOCK_* of fd: fd table -> file -> socket -> sock. */
static __always_inline void read_socket_kind(struct connect_info *c, int fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt || fd < 0 || (unsigned int)fd >= BPF_CORE_READ(fdt, max_fds))
		return;
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *file = NULL;
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) != 0 || !file)
		return;
	/* private_data is a struct socket only for socket inodes */
	if ((BPF_CORE_READ(file, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
		return;
	struct socket *sock = BPF_CORE_READ(file, private_data);
	c->sock_type = BPF_CORE_READ(sock, type);
	c->protocol = BPF_CORE_READ(sock, sk, sk_protocol);
}

/*
 * Reads family, port and address of an AF_INET/AF_INET6 sockaddr into c.
 * Returns 1 if read, 0 for other families (not network connections), -1 if
 * the memory could not be read (c's address fields are then left zero).
 */
static __always_inline int read_sockaddr(struct connect_info *c, const void *uaddr)
{
	__u16 family = 0;
	if (bpf_probe_read_user(&family, sizeof(family), uaddr) != 0)
		return -1;
	if (family == AF_INET) {
		struct sockaddr_in sin;
		if (bpf_probe_read_user(&sin, sizeof(sin), uaddr) != 0)
			return -1;
		c->port = bpf_ntohs(sin.sin_port);
		__builtin_memcpy(c->addr, &sin.sin_addr, 4);
	} else if (family == AF_INET6) {
		struct sockaddr_in6 sin6;
		if (bpf_probe_read_user(&sin6, sizeof(sin6), uaddr) != 0)
			return -1;
		c->port = bpf_ntohs(sin6.sin6_port);
		__builtin_memcpy(c->addr, &sin6.sin6_addr, 16);
	} else {
		return 0; /* AF_UNIX, AF_NETLINK, ...: not network connections */
	}
	c->family = family;
	return 1;
}

static __always_inline int connect_exit(struct task_struct *task, struct pt_regs *regs, long ret)
{
	const struct rg_capture_config *cfg = get_config();
	if (!cfg || !wanted(cfg, task->tgid, RG_KIND_NET_CONNECT))
		return 0;

	int fd = PT_REGS_PARM1_SYSCALL(regs);
	const void *uaddr = (const void *)PT_REGS_PARM2_SYSCALL(regs);
	struct connect_info c = {};
	__u16 ev_flags = 0;
	int read = read_sockaddr(&c, uaddr);
	if (read == 0)
		return 0;
	if (read < 0)
		ev_flags = EVENT_FLAG_USER_READ_FAILED; /* family unknown: recorded, never guessed */
	read_socket_kind(&c, fd);

	struct rg_net_connect *e = bpf_ringbuf_reserve(&EVENTS, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	fill_header(&e->hdr, RG_KIND_NET_CONNECT, sizeof(*e), task);
	e->hdr.flags |= ev_flags;
	e->fd = fd;
	e->result = ret;
	e->family = c.family;
	e->port = c.port;
	e->protocol = c.protocol;
	e->sock_type = c.sock_type;
	__builtin_memcpy(e->addr, c.addr, sizeof(e->addr));
	bpf_ringbuf_submit(e, submit_flags(cfg, sizeof(*e)));
	return 0;
}

/* ---- the one syscall-exit program ------------------------------------------ */

/* x86_64 syscall numbers (arch/x86/entry/syscalls/syscall_64.tbl). */
#define NR_open 2
#define NR_connect 42
#define NR_openat 257
#define NR_openat2 437
/* arch/x86/include/asm/thread_info.h: thread_info.status bit of a 32-bit (ia32) syscall in progress */
#define TS_COMPAT 0x0002

/*
 * Opens and connects come from one program on the raw sys_exit tracepoint,
 * dispatched on the syscall number, instead of one tp/syscalls/sys_exit_*
 * program per syscall. Each per-syscall tracepoint runs through the kernel's
 * perf_syscall_exit() (perf buffer allocation, fake regs, trace_call_bpf)
 * before the program; the raw tracepoint calls the program directly with the
 * registers and the return value. The price: every syscall of every process
 * now runs this program, which returns after two loads and a few compares.
 * Measured on a 2-core 6.18 VM, traced vs untraced, paired rounds: openat
 * loop +30.0% -> +27.4% (6 rounds; 31.4 -> 28.1 in 10 noisier ones; the
 * per-open BPF time is unchanged, ~360-390 ns, the saving is the kernel's);
 * fork/exec within noise of before (~36 syscalls per fork+exec+wait); but a
 * getppid() loop +32% -> +52%: every other syscall pays ~35 ns more, the
 * cost of running any program here (an empty one costs the same).
 *
 * Same point, same data as the sys_exit_* tracepoints: both hang off
 * trace_sys_exit(regs, ret) in syscall_exit_work(); regs is the task's saved
 * user registers (what bpf_task_pt_regs() returns), ret is regs->ax, and the
 * syscall number is regs->orig_ax, as syscall_get_nr() reads it.
 * 32-bit syscalls are skipped as those tracepoints skip them: on x86 their
 * trace_get_syscall_nr() reports -1 while in_32bit_syscall(), that is while
 * TS_COMPAT is set in current's thread_info.status (set at ia32 syscall entry,
 * cleared only on the return to user mode, after this tracepoint; ia32 numbers
 * overlap ours: 437 is openat2 there too, 42 is pipe) or orig_ax carries the
 * x32 bit (__X32_SYSCALL_BIT, never equal to the numbers compared here).
 */
SEC("tp_btf/sys_exit")
int BPF_PROG(handle_sys_exit, struct pt_regs *regs, long ret)
{
	long nr = regs->orig_ax;
	if (nr != NR_openat && nr != NR_open && nr != NR_openat2 && nr != NR_connect)
		return 0;
	struct task_struct *task = bpf_get_current_task_btf();
	if (task->thread_info.status & TS_COMPAT)
		return 0;
	if (nr == NR_openat)
		return open_exit(task, regs, ret, CALL_OPENAT);
	if (nr == NR_open)
		return open_exit(task, regs, ret, CALL_OPEN); /* legacy open(2): static and old binaries */
	if (nr == NR_openat2)
		return open_exit(task, regs, ret, CALL_OPENAT2);
	return connect_exit(task, regs, ret);
}
