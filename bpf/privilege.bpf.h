/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Privilege: credential changes (set*id, capset, and set-id execs), kernel
 * module attempts and BPF program loads, from the raw sys_exit program
 * (rg.bpf.c dispatches) and, for execs, sched_process_exec.
 *
 * Old credentials. A credential call replaces the task's struct cred whole
 * (commit_creds), so at sys_exit only the new one is left, and a sys_enter
 * program would make every syscall of every process pay (see rg.bpf.c). So
 * each thread's credentials are kept here as the capture last saw them:
 * seeded for every task by an iterator at start (cred_seed), copied at each
 * fork and exec, replaced at each recorded credential call, dropped at exit.
 * "Old" in a record is that copy. Doors that change credentials without a
 * recorded call (setgroups, unshare(CLONE_NEWUSER), prctl capability bits)
 * are not seen; a thread with no copy (the map's LRU evicted it) is recorded
 * with CRED_OLD_UNKNOWN, never guessed.
 */
#ifndef RG_PRIVILEGE_BPF_H
#define RG_PRIVILEGE_BPF_H

#include "common.bpf.h"
#include "paths.bpf.h"
#include "syscall-map.h"

#define BPF_PROG_LOAD_CMD 5 /* enum bpf_cmd BPF_PROG_LOAD */

/* ---- credentials -------------------------------------------------------- */

/* Order matches old_uid..old_fsgid and the cap triple of struct rg_process_cred. */
struct cred_snapshot {
	__u32 ids[8]; /* uid, euid, suid, fsuid, gid, egid, sgid, fsgid */
	__u64 caps[3]; /* effective, permitted, inheritable */
};

/* Keyed by tid (credentials are per thread). ~3.5 MB preallocated. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 32768);
	__type(key, __u32);
	__type(value, struct cred_snapshot);
} CRED_SNAPSHOT SEC(".maps");

static __always_inline bool creds_tracked(const struct rg_capture_config *cfg)
{
	return (cfg->events_mask & (1ULL << RG_KIND_PROCESS_CRED)) != 0;
}

/* The objective credentials (real_cred: what other processes see; cred can be a transient override). */
static __always_inline void read_cred(const struct cred *c, struct cred_snapshot *s)
{
	s->ids[0] = BPF_CORE_READ(c, uid.val);
	s->ids[1] = BPF_CORE_READ(c, euid.val);
	s->ids[2] = BPF_CORE_READ(c, suid.val);
	s->ids[3] = BPF_CORE_READ(c, fsuid.val);
	s->ids[4] = BPF_CORE_READ(c, gid.val);
	s->ids[5] = BPF_CORE_READ(c, egid.val);
	s->ids[6] = BPF_CORE_READ(c, sgid.val);
	s->ids[7] = BPF_CORE_READ(c, fsgid.val);
	s->caps[0] = BPF_CORE_READ(c, cap_effective.val);
	s->caps[1] = BPF_CORE_READ(c, cap_permitted.val);
	s->caps[2] = BPF_CORE_READ(c, cap_inheritable.val);
}

static __always_inline bool same_cred(const struct cred_snapshot *a, const struct cred_snapshot *b)
{
	for (int i = 0; i < 8; i++)
		if (a->ids[i] != b->ids[i])
			return false;
	for (int i = 0; i < 3; i++)
		if (a->caps[i] != b->caps[i])
			return false;
	return true;
}

/* Takes the thread's kept credentials into *old (returns false if none) and keeps *now instead. */
static __always_inline bool swap_snapshot(__u32 old_tid, __u32 tid, const struct cred_snapshot *now, struct cred_snapshot *old)
{
	bool known = false;
	struct cred_snapshot *kept = bpf_map_lookup_elem(&CRED_SNAPSHOT, &old_tid);
	if (kept) {
		__builtin_memcpy(old, kept, sizeof(*old));
		known = true;
	}
	if (old_tid != tid)
		bpf_map_delete_elem(&CRED_SNAPSHOT, &old_tid);
	bpf_map_update_elem(&CRED_SNAPSHOT, &tid, now, BPF_ANY);
	return known;
}

static __always_inline void emit_cred(struct task_struct *task, const struct rg_capture_config *cfg, __u16 call, bool compat, long ret,
				      const __u32 args[3], __u32 status, const struct cred_snapshot *old,
				      const struct cred_snapshot *now)
{
	struct rg_process_cred *e = bpf_ringbuf_reserve(&EVENTS, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return;
	}
	fill_header(&e->hdr, RG_KIND_PROCESS_CRED, sizeof(*e), task);
	if (compat)
		e->hdr.flags |= EVENT_FLAG_COMPAT;
	e->call = call;
	e->result = ret;
	e->reserved = 0;
	e->arg1 = args[0];
	e->arg2 = args[1];
	e->arg3 = args[2];
	if (old) {
		__builtin_memcpy(&e->old_uid, old->ids, sizeof(old->ids));
		__builtin_memcpy(&e->old_cap_effective, old->caps, sizeof(old->caps));
	} else {
		__builtin_memset(&e->old_uid, 0, sizeof(old->ids));
		__builtin_memset(&e->old_cap_effective, 0, sizeof(old->caps));
		status |= CRED_OLD_UNKNOWN;
	}
	e->status = status;
	__builtin_memcpy(&e->new_uid, now->ids, sizeof(now->ids));
	__builtin_memcpy(&e->new_cap_effective, now->caps, sizeof(now->caps));
	bpf_ringbuf_submit(e, submit_flags(cfg, sizeof(*e)));
}

/* An id as passed: the ia32 calls without "32" take 16-bit ids, 0xffff meaning "unchanged" as -1 does. */
static __always_inline __u32 id_arg(const struct syscall_exit *sc, int i, bool id16)
{
	__u32 v = syscall_arg(sc, i);
	if (!id16)
		return v;
	v &= 0xffff;
	return v == 0xffff ? 0xffffffff : v;
}

/* set*id and capset, at sys_exit: recorded whether or not they changed anything (a refused setuid(0) is an attempt). */
static __noinline int cred_exit(const struct syscall_exit *sc)
{
	struct task_struct *task = sc->task;
	const struct rg_capture_config *cfg = get_config();
	if (!cfg || !creds_tracked(cfg))
		return 0;
	struct cred_snapshot now = {}, old = {};
	read_cred(task_fields(task)->real_cred, &now);
	__u32 tid = task->pid;
	bool known = swap_snapshot(tid, tid, &now, &old);
	if (!wanted(cfg, task->tgid, RG_KIND_PROCESS_CRED))
		return 0;
	int call = sc->call;
	/* on ia32 setuid, setgid, ... take 16-bit ids; setuid32, setgid32, ... full ones */
	bool id16 = sc->compat && call != RG_CALL_CAPSET;
	switch (call) {
	case RG_CALL_SETUID32: case RG_CALL_SETGID32: case RG_CALL_SETREUID32: case RG_CALL_SETREGID32:
	case RG_CALL_SETRESUID32: case RG_CALL_SETRESGID32: case RG_CALL_SETFSUID32: case RG_CALL_SETFSGID32:
		id16 = false;
	}
	__u32 args[3] = {};
	if (call != RG_CALL_CAPSET) {
		args[0] = id_arg(sc, 0, id16);
		bool two = call == RG_CALL_SETREUID || call == RG_CALL_SETREGID || call == RG_CALL_SETREUID32 || call == RG_CALL_SETREGID32;
		bool three = call == RG_CALL_SETRESUID || call == RG_CALL_SETRESGID || call == RG_CALL_SETRESUID32 || call == RG_CALL_SETRESGID32;
		if (two || three)
			args[1] = id_arg(sc, 1, id16);
		if (three)
			args[2] = id_arg(sc, 2, id16);
	}
	emit_cred(task, cfg, call, sc->compat, sc->ret, args, 0, known ? &old : NULL, &now);
	return 0;
}

/*
 * An exec that changed the credentials: a set-user-id or set-group-id
 * program, file capabilities, or the kernel dropping them. Its own program on
 * sched_process_exec, attached after handle_exec, so the record follows the
 * exec's own and its process context names the new program.
 */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(cred_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	const struct rg_capture_config *cfg = get_config();
	if (!cfg || !creds_tracked(cfg))
		return 0;
	struct task_struct *task = bpf_get_current_task_btf();
	struct cred_snapshot now = {}, old = {};
	read_cred(task->real_cred, &now);
	/* old_pid: the tid before exec; a non-leader thread's exec takes the leader's pid */
	bool known = swap_snapshot(old_pid, task->pid, &now, &old);
	bool gained = bprm->per_clear != 0;
	bool changed = known ? !same_cred(&old, &now) : gained;
	if (!changed || !wanted(cfg, task->tgid, RG_KIND_PROCESS_CRED))
		return 0;
	__u32 args[3] = {};
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	/* which exec: execve or execveat, on the table the task used */
	bool compat = (task->thread_info.status & TS_COMPAT) != 0;
	__u16 call = call_of_syscall(BPF_CORE_READ(regs, orig_ax), compat);
	emit_cred(task, cfg, call, compat, 0, args, gained ? CRED_SETID_EXEC : 0, known ? &old : NULL, &now);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(cred_fork, struct task_struct *parent, struct task_struct *child)
{
	const struct rg_capture_config *cfg = get_config();
	if (!cfg || !creds_tracked(cfg))
		return 0;
	struct cred_snapshot now = {};
	read_cred(child->real_cred, &now);
	__u32 tid = child->pid;
	bpf_map_update_elem(&CRED_SNAPSHOT, &tid, &now, BPF_ANY);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(cred_exit_task, struct task_struct *p)
{
	const struct rg_capture_config *cfg = get_config();
	if (!cfg || !creds_tracked(cfg))
		return 0;
	__u32 tid = bpf_get_current_task_btf()->pid;
	bpf_map_delete_elem(&CRED_SNAPSHOT, &tid);
	return 0;
}

/*
 * Run once by rg-capture after the credential programs are attached: keeps
 * every existing thread's credentials. BPF_NOEXIST: a thread whose credential
 * call was recorded since the programs were attached already has newer ones.
 */
SEC("iter/task")
int cred_seed(struct bpf_iter__task *ctx)
{
	struct task_struct *t = ctx->task;
	if (!t)
		return 0;
	struct cred_snapshot now = {};
	read_cred(BPF_CORE_READ(t, real_cred), &now);
	__u32 tid = BPF_CORE_READ(t, pid);
	bpf_map_update_elem(&CRED_SNAPSHOT, &tid, &now, BPF_NOEXIST);
	return 0;
}

/* ---- kernel modules ----------------------------------------------------- */

/* Reads a user string into a zeroed buffer; returns EVENT_FLAG_USER_READ_FAILED if it could not. */
static __always_inline __u16 read_user_text(char *dst, __u32 size, const char *src)
{
	if (!src)
		return 0;
	if (bpf_probe_read_user_str(dst, size, src) < 0) {
		__builtin_memset(dst, 0, size);
		return EVENT_FLAG_USER_READ_FAILED;
	}
	return 0;
}

/* init_module, finit_module, delete_module: the attempt and its result, even when refused (-ENOSYS without module support). */
static __noinline int module_exit(const struct syscall_exit *sc)
{
	struct task_struct *task = sc->task;
	const struct rg_capture_config *cfg = get_config();
	if (!cfg || !wanted(cfg, task->tgid, RG_KIND_KERNEL_MODULE))
		return 0;
	struct scratch *s = get_scratch();
	if (!s)
		return 0;
	__u16 path_flags = 0;
	int fd = -1;
	if (sc->call == RG_CALL_FINIT_MODULE) {
		fd = (int)syscall_arg(sc, 0);
		struct file *f = file_of_fd(task, fd);
		if (f) {
			path_flags = path_of_file(s->path.s, s, f);
		} else {
			path_flags = PATH_FLAG_UNRESOLVED;
			end_path(s->path.s, 0);
		}
	}
	struct rg_kernel_module *e = bpf_ringbuf_reserve(&EVENTS, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	fill_header(&e->hdr, RG_KIND_KERNEL_MODULE, sizeof(*e), task);
	__u16 flags = sc->compat ? EVENT_FLAG_COMPAT : 0;
	e->call = sc->call;
	e->path_flags = path_flags;
	e->result = sc->ret;
	e->fd = fd;
	e->image_len = 0;
	e->module_flags = 0;
	__builtin_memset(e->name, 0, sizeof(e->name));
	__builtin_memset(e->params, 0, sizeof(e->params));
	if (sc->call == RG_CALL_DELETE_MODULE) {
		flags |= read_user_text(e->name, sizeof(e->name), (const char *)syscall_arg(sc, 0));
		e->module_flags = syscall_arg(sc, 1);
	} else if (sc->call == RG_CALL_INIT_MODULE) {
		e->image_len = syscall_arg(sc, 1);
		flags |= read_user_text(e->params, sizeof(e->params), (const char *)syscall_arg(sc, 2));
	} else {
		flags |= read_user_text(e->params, sizeof(e->params), (const char *)syscall_arg(sc, 1));
		e->module_flags = syscall_arg(sc, 2);
	}
	if (sc->call == RG_CALL_FINIT_MODULE)
		__builtin_memcpy(e->path, s->path.s, sizeof(e->path));
	else
		__builtin_memset(e->path, 0, sizeof(e->path));
	e->hdr.flags |= flags;
	bpf_ringbuf_submit(e, submit_flags(cfg, sizeof(*e)));
	return 0;
}

/* ---- BPF program loads -------------------------------------------------- */

/* The BPF_PROG_LOAD prefix of union bpf_attr (uapi: stable offsets). */
struct prog_load_attr {
	__u32 prog_type;
	__u32 insn_cnt;
	__u64 insns;
	__u64 license;
	__u32 log_level;
	__u32 log_size;
	__u64 log_buf;
	__u32 kern_version;
	__u32 prog_flags;
	char prog_name[16];
	__u32 prog_ifindex;
	__u32 expected_attach_type;
	__u32 prog_btf_fd;
	__u32 func_info_rec_size;
	__u64 func_info;
	__u32 func_info_cnt;
	__u32 line_info_rec_size;
	__u64 line_info;
	__u32 line_info_cnt;
	__u32 attach_btf_id;
};

/*
 * A loaded program is described from the kernel's struct bpf_prog behind the
 * new fd (the caller's attr could be rewritten by another thread after the
 * kernel copied it); a refused load from the caller's attr, as passed.
 */
static __noinline int bpf_load_exit(const struct syscall_exit *sc)
{
	if ((int)syscall_arg(sc, 0) != BPF_PROG_LOAD_CMD)
		return 0;
	struct task_struct *task = sc->task;
	long ret = sc->ret;
	const struct rg_capture_config *cfg = get_config();
	if (!cfg || !wanted(cfg, task->tgid, RG_KIND_BPF_PROG_LOAD))
		return 0;
	struct rg_bpf_prog_load *e = bpf_ringbuf_reserve(&EVENTS, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	fill_header(&e->hdr, RG_KIND_BPF_PROG_LOAD, sizeof(*e), task);
	if (sc->compat)
		e->hdr.flags |= EVENT_FLAG_COMPAT;
	e->result = ret;
	e->prog_id = 0;
	e->status = 0;
	e->reserved = 0;
	__builtin_memset(e->tag, 0, sizeof(e->tag));
	__builtin_memset(e->prog_name, 0, sizeof(e->prog_name));
	__builtin_memset(e->attach_to, 0, sizeof(e->attach_to));

	struct file *file = ret >= 0 ? file_of_fd(task, ret) : NULL;
	char name[12] = {};
	if (file)
		bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(file, f_path.dentry, d_name.name));
	/* anon-inode files are named for what they hold: "bpf-prog" (newer kernels bracket some: "[...]") */
	const char *kind = name[0] == '[' ? name + 1 : name;
	if (kind[0] == 'b' && kind[1] == 'p' && kind[2] == 'f' && kind[3] == '-' && kind[4] == 'p' && kind[7] == 'g') {
		struct bpf_prog *prog = BPF_CORE_READ(file, private_data);
		struct bpf_prog_aux *aux = BPF_CORE_READ(prog, aux);
		e->prog_type = BPF_CORE_READ(prog, type);
		e->expected_attach_type = BPF_CORE_READ(prog, expected_attach_type);
		e->insn_cnt = BPF_CORE_READ(prog, len);
		bpf_probe_read_kernel(e->tag, sizeof(e->tag), &prog->tag);
		e->prog_id = BPF_CORE_READ(aux, id);
		e->attach_btf_id = BPF_CORE_READ(aux, attach_btf_id);
		bpf_probe_read_kernel_str(e->prog_name, sizeof(e->prog_name), &aux->name);
		const char *attach = BPF_CORE_READ(aux, attach_func_name);
		if (attach)
			bpf_probe_read_kernel_str(e->attach_to, sizeof(e->attach_to), attach);
		e->status = BPF_FROM_KERNEL;
	} else {
		struct prog_load_attr attr = {};
		__u64 size = (__u32)syscall_arg(sc, 2);
		if (size > sizeof(attr))
			size = sizeof(attr);
		if (size < 8 || bpf_probe_read_user(&attr, size, (const void *)syscall_arg(sc, 1)) != 0) {
			__builtin_memset(&attr, 0, sizeof(attr));
			e->status = BPF_ATTR_UNREADABLE;
		}
		e->prog_type = attr.prog_type;
		e->insn_cnt = attr.insn_cnt;
		e->expected_attach_type = attr.expected_attach_type;
		e->attach_btf_id = attr.attach_btf_id;
		/* the caller's bytes after the name's NUL are not evidence: zero them */
		bool ended = false;
		for (int i = 0; i < BPF_NAME_LEN; i++) {
			ended = ended || attr.prog_name[i] == 0 || i == BPF_NAME_LEN - 1;
			e->prog_name[i] = ended ? 0 : attr.prog_name[i];
		}
	}
	bpf_ringbuf_submit(e, submit_flags(cfg, sizeof(*e)));
	return 0;
}

#endif /* RG_PRIVILEGE_BPF_H */
