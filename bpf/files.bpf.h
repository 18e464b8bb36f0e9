/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * File opens, from the raw sys_exit program (see rg.bpf.c for the dispatch).
 */
#ifndef RG_FILES_BPF_H
#define RG_FILES_BPF_H

#include "common.bpf.h"

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

#endif /* RG_FILES_BPF_H */
