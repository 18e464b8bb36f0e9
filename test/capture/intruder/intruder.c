/*
 * An intruder's moves on one process and the kernel, for the real-kernel
 * tests: each mode makes known syscalls and prints one JSON object per call
 * (what it passed and what the kernel returned), so a test can compare the
 * capture with what really happened. Raw syscall(2) is used where libc would
 * add calls of its own (glibc's setuid signals every thread; its kill may
 * retry). Built by the tests with the system's cc.
 *
 *   intruder victim                 print pid and a buffer address, wait for a line on stdin, print the buffer
 *   intruder ptrace PID ADDR        attach, poke a word at ADDR, detach; and one refused attach
 *   intruder vm PID ADDR            process_vm_writev 8 bytes to ADDR, process_vm_readv them back
 *   intruder signal PID             kill(PID,0), kill(PID,SIGCONT), tgkill, pidfd_send_signal, a signal to itself, ESRCH
 *   intruder creds                  (root) setres*id down to 1000 keeping saved root, setuid(0) back, setfs*id, capset
 *   intruder drop-exec UID PATH ... (root) setres*id to UID, then exec PATH (a set-user-id program)
 *   intruder whoami                 print the real, effective and saved ids
 *   intruder module PATH            init_module, finit_module(PATH), delete_module
 *   intruder bpf                    load a socket filter named rg_probe (ok) and a broken one (EINVAL)
 *   intruder memfd NAME PROGRAM     copy PROGRAM into a memfd named NAME and execute it (fexecve)
 *   intruder later-creds            print its pid, wait for a line on stdin, then as creds
 *   intruder threads-setresuid UID  (root) 3 threads, then glibc setresuid (which every thread runs)
 *   intruder bpf-race N             N loads while another thread flips the name in the caller's attr
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

/* The raw return value: -errno on failure, as the kernel (and the capture) sees it. */
static long sys(long nr, long a, long b, long c, long d, long e)
{
	long r = syscall(nr, a, b, c, d, e, 0L);
	return r < 0 ? -errno : r;
}

static void report(const char *call, long result, const char *more)
{
	printf("{\"call\":\"%s\",\"result\":%ld%s%s}\n", call, result, more[0] ? "," : "", more);
	fflush(stdout);
}

static char victim_buffer[64] = "untouched";

static int victim(void)
{
	printf("{\"pid\":%d,\"addr\":%lu}\n", getpid(), (unsigned long)victim_buffer);
	fflush(stdout);
	signal(SIGCONT, SIG_DFL);
	char line[16];
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	printf("{\"buffer\":\"%.8s\"}\n", victim_buffer);
	fflush(stdout);
	return 0;
}

static int do_ptrace(pid_t pid, unsigned long addr)
{
	char more[128];
	long r = sys(SYS_ptrace, PTRACE_ATTACH, pid, 0, 0, 0);
	snprintf(more, sizeof(more), "\"request\":%d,\"pid\":%d", PTRACE_ATTACH, pid);
	report("ptrace", r, more);
	if (r < 0)
		return 1;
	int status;
	waitpid(pid, &status, 0);
	/* "PTRACED!" as one little-endian word */
	unsigned long word = 0x2144454341525450UL;
	r = sys(SYS_ptrace, PTRACE_POKEDATA, pid, addr, word, 0);
	snprintf(more, sizeof(more), "\"request\":%d,\"pid\":%d,\"addr\":%lu,\"data\":\"%lu\"", PTRACE_POKEDATA, pid, addr, word);
	report("ptrace", r, more);
	r = sys(SYS_ptrace, PTRACE_DETACH, pid, 0, 0, 0);
	snprintf(more, sizeof(more), "\"request\":%d,\"pid\":%d", PTRACE_DETACH, pid);
	report("ptrace", r, more);
	/* A second attach to a process that no longer exists: refused. */
	r = sys(SYS_ptrace, PTRACE_SEIZE, 0x3fffffff, 0, 0, 0);
	snprintf(more, sizeof(more), "\"request\":%d,\"pid\":%d", PTRACE_SEIZE, 0x3fffffff);
	report("ptrace", r, more);
	return 0;
}

static int do_vm(pid_t pid, unsigned long addr)
{
	char data[8] = "VMWRITE!";
	char back[8] = {0};
	struct iovec local = { data, sizeof(data) };
	struct iovec remote = { (void *)addr, sizeof(data) };
	char more[128];
	long r = sys(SYS_process_vm_writev, pid, (long)&local, 1, (long)&remote, 1);
	snprintf(more, sizeof(more), "\"pid\":%d,\"addr\":%lu,\"len\":8", pid, addr);
	report("process_vm_writev", r, more);
	struct iovec local_back = { back, sizeof(back) };
	r = sys(SYS_process_vm_readv, pid, (long)&local_back, 1, (long)&remote, 1);
	report("process_vm_readv", r, more);
	return 0;
}

static int do_signal(pid_t pid)
{
	char more[128];
	snprintf(more, sizeof(more), "\"pid\":%d,\"signal\":0", pid);
	report("kill", sys(SYS_kill, pid, 0, 0, 0, 0), more);
	snprintf(more, sizeof(more), "\"pid\":%d,\"signal\":%d", pid, SIGCONT);
	report("kill", sys(SYS_kill, pid, SIGCONT, 0, 0, 0), more);
	snprintf(more, sizeof(more), "\"pid\":%d,\"tid\":%d,\"signal\":%d", pid, pid, SIGCONT);
	report("tgkill", sys(SYS_tgkill, pid, pid, SIGCONT, 0, 0), more);
	long pidfd = sys(SYS_pidfd_open, pid, 0, 0, 0, 0);
	snprintf(more, sizeof(more), "\"pid\":%d,\"pidfd\":%ld,\"signal\":%d", pid, pidfd, SIGCONT);
	report("pidfd_send_signal", sys(SYS_pidfd_send_signal, pidfd, SIGCONT, 0, 0, 0), more);
	/* To itself: not one process acting on another, so not recorded. */
	report("kill_self", sys(SYS_kill, getpid(), 0, 0, 0, 0), "\"recorded\":false");
	report("tgkill_self", sys(SYS_tgkill, getpid(), gettid(), 0, 0, 0), "\"recorded\":false");
	snprintf(more, sizeof(more), "\"pid\":%d,\"signal\":%d", 0x3fffffff, SIGTERM);
	report("kill", sys(SYS_kill, 0x3fffffff, SIGTERM, 0, 0, 0), more);
	return 0;
}

/* Real, effective, saved and filesystem ids from /proc (asking setfsuid(-1) would itself be a credential call). */
static void status_ids(const char *key, unsigned ids[4])
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	size_t n = strlen(key);
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n))
			sscanf(line + n, "%u %u %u %u", &ids[0], &ids[1], &ids[2], &ids[3]);
	if (f)
		fclose(f);
}

static void report_ids(const char *call, long result, long a, long b, long c)
{
	unsigned u[4] = {0}, g[4] = {0};
	status_ids("Uid:", u);
	status_ids("Gid:", g);
	unsigned long long caps[3] = {0};
	const char *keys[3] = { "CapEff:", "CapPrm:", "CapInh:" };
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	while (f && fgets(line, sizeof(line), f))
		for (int i = 0; i < 3; i++)
			if (!strncmp(line, keys[i], strlen(keys[i])))
				caps[i] = strtoull(line + strlen(keys[i]), NULL, 16);
	if (f)
		fclose(f);
	char more[384];
	snprintf(more, sizeof(more), "\"args\":[%ld,%ld,%ld],\"uid\":[%u,%u,%u,%u],\"gid\":[%u,%u,%u,%u],\"caps\":[%llu,%llu,%llu]",
		 a, b, c, u[0], u[1], u[2], u[3], g[0], g[1], g[2], g[3], caps[0], caps[1], caps[2]);
	report(call, result, more);
}

static int do_creds(void)
{
	report_ids("setresgid", sys(SYS_setresgid, 2000, 2000, 0, 0, 0), 2000, 2000, 0);
	report_ids("setresuid", sys(SYS_setresuid, 1000, 1000, 0, 0, 0), 1000, 1000, 0);
	/* Non-root (euid 1000) becoming root again: saved uid 0 allows it. */
	report_ids("setuid", sys(SYS_setuid, 0, 0, 0, 0, 0), 0, -1, -1);
	report_ids("setreuid", sys(SYS_setreuid, -1, 1000, 0, 0, 0), -1, 1000, -1);
	report_ids("setfsuid", sys(SYS_setfsuid, 1234, 0, 0, 0, 0), 1234, -1, -1);
	report_ids("setgid", sys(SYS_setgid, 2000, 0, 0, 0, 0), 2000, -1, -1);
	report_ids("setregid", sys(SYS_setregid, -1, 2000, 0, 0, 0), -1, 2000, -1);
	report_ids("setfsgid", sys(SYS_setfsgid, 2000, 0, 0, 0, 0), 2000, -1, -1);
	/* Drop every capability (version 3: two 32-bit halves). */
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2] = {};
	report_ids("capset", sys(SYS_capset, (long)&hdr, (long)data, 0, 0, 0), 0, 0, 0);
	/* Refused now: a non-root with no saved root cannot become uid 5. */
	report_ids("setuid", sys(SYS_setuid, 5, 0, 0, 0, 0), 5, -1, -1);
	return 0;
}

static int do_drop_exec(uid_t uid, char **argv)
{
	long r = sys(SYS_setresgid, uid, uid, uid, 0, 0);
	report_ids("setresgid", r, uid, uid, uid);
	r = sys(SYS_setresuid, uid, uid, uid, 0, 0);
	report_ids("setresuid", r, uid, uid, uid);
	execv(argv[0], argv);
	report("execv", -errno, "");
	return 1;
}

static int do_whoami(void)
{
	report_ids("whoami", 0, 0, 0, 0);
	return 0;
}

static int do_module(const char *path)
{
	static char image[64] = "\177ELF not really a module";
	char more[256];
	snprintf(more, sizeof(more), "\"len\":%zu,\"params\":\"rg_param=1\"", sizeof(image));
	report("init_module", sys(SYS_init_module, (long)image, sizeof(image), (long)"rg_param=1", 0, 0), more);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	snprintf(more, sizeof(more), "\"fd\":%d,\"params\":\"rg_param=2\",\"flags\":0", fd);
	report("finit_module", sys(SYS_finit_module, fd, (long)"rg_param=2", 0, 0, 0), more);
	snprintf(more, sizeof(more), "\"name\":\"rg_rootkit\",\"flags\":%d", O_NONBLOCK);
	report("delete_module", sys(SYS_delete_module, (long)"rg_rootkit", O_NONBLOCK, 0, 0, 0), more);
	return 0;
}

static int do_bpf(void)
{
	struct bpf_insn ok[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	attr.insns = (uint64_t)(unsigned long)ok;
	attr.insn_cnt = 2;
	attr.license = (uint64_t)(unsigned long)"GPL";
	strcpy(attr.prog_name, "rg_probe");
	long fd = sys(SYS_bpf, BPF_PROG_LOAD, (long)&attr, sizeof(attr), 0, 0);
	struct bpf_prog_info info;
	memset(&info, 0, sizeof(info));
	union bpf_attr get;
	memset(&get, 0, sizeof(get));
	get.info.bpf_fd = fd;
	get.info.info_len = sizeof(info);
	get.info.info = (uint64_t)(unsigned long)&info;
	syscall(SYS_bpf, BPF_OBJ_GET_INFO_BY_FD, &get, sizeof(get));
	char more[256];
	char tag[17];
	for (int i = 0; i < 8; i++)
		sprintf(tag + 2 * i, "%02x", info.tag[i]);
	snprintf(more, sizeof(more), "\"prog_type\":%u,\"insn_cnt\":2,\"name\":\"rg_probe\",\"id\":%u,\"tag\":\"%s\"",
		 BPF_PROG_TYPE_SOCKET_FILTER, info.id, tag);
	report("bpf_prog_load", fd, more);
	/* No exit instruction: the verifier refuses it. */
	attr.insn_cnt = 1;
	strcpy(attr.prog_name, "rg_broken");
	snprintf(more, sizeof(more), "\"prog_type\":%u,\"insn_cnt\":1,\"name\":\"rg_broken\"", BPF_PROG_TYPE_SOCKET_FILTER);
	report("bpf_prog_load", sys(SYS_bpf, BPF_PROG_LOAD, (long)&attr, sizeof(attr), 0, 0), more);
	return 0;
}

static int do_memfd(const char *name, const char *program)
{
	long fd = sys(SYS_memfd_create, (long)name, MFD_CLOEXEC, 0, 0, 0);
	struct stat st;
	fstat(fd, &st);
	char more[512];
	snprintf(more, sizeof(more), "\"name\":\"%s\",\"flags\":%d,\"ino\":%lu", name, MFD_CLOEXEC, (unsigned long)st.st_ino);
	report("memfd_create", fd, more);
	int in = open(program, O_RDONLY);
	struct stat pst;
	fstat(in, &pst);
	sendfile(fd, in, NULL, pst.st_size);
	close(in);
	char *argv[] = { (char *)name, NULL };
	char *envp[] = { NULL };
	fexecve(fd, argv, envp);
	report("fexecve", -errno, "");
	return 1;
}

static int do_later_creds(void)
{
	printf("{\"pid\":%d}\n", getpid());
	fflush(stdout);
	char line[16];
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	return do_creds();
}

static atomic_int stop_threads;

static void *idle_thread(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop_threads))
		usleep(1000);
	return NULL;
}

static int do_threads_setresuid(uid_t uid)
{
	pthread_t t[3];
	for (int i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, idle_thread, NULL);
	/* glibc makes every thread call setresuid (POSIX: credentials are per process) */
	int r = setresuid(uid, uid, uid);
	atomic_store(&stop_threads, 1);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	char more[64];
	snprintf(more, sizeof(more), "\"threads\":4,\"uid\":%u", uid);
	report("setresuid", r < 0 ? -errno : r, more);
	return 0;
}

/* The caller's attr, which a second thread rewrites while the kernel loads from it. */
static union bpf_attr race_attr;
static atomic_int racing;

static void *flip_name(void *arg)
{
	(void)arg;
	/* each name stays for a while, so some loads copy one and some the other; volatile: every store happens */
	volatile char *name = race_attr.prog_name;
	for (unsigned long i = 0; atomic_load(&racing); i++) {
		const char *next = (i >> 2) & 1 ? "rg_decoy" : "rg_real\0";
		for (int k = 0; k < 9; k++)
			name[k] = next[k];
		for (volatile int spin = 0; spin < 100; spin++) {
		}
	}
	return NULL;
}

static int do_bpf_race(int n)
{
	static struct bpf_insn ok[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	race_attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	race_attr.insns = (uint64_t)(unsigned long)ok;
	race_attr.insn_cnt = 2;
	race_attr.license = (uint64_t)(unsigned long)"GPL";
	memcpy(race_attr.prog_name, "rg_real", 8);
	atomic_store(&racing, 1);
	pthread_t t;
	pthread_create(&t, NULL, flip_name, NULL);
	for (int i = 0; i < n; i++) {
		long fd = sys(SYS_bpf, BPF_PROG_LOAD, (long)&race_attr, sizeof(race_attr), 0, 0);
		struct bpf_prog_info info;
		memset(&info, 0, sizeof(info));
		union bpf_attr get;
		memset(&get, 0, sizeof(get));
		get.info.bpf_fd = fd;
		get.info.info_len = sizeof(info);
		get.info.info = (uint64_t)(unsigned long)&info;
		syscall(SYS_bpf, BPF_OBJ_GET_INFO_BY_FD, &get, sizeof(get));
		char more[128];
		snprintf(more, sizeof(more), "\"id\":%u,\"name\":\"%.16s\"", info.id, info.name);
		report("bpf_prog_load", fd, more);
		close(fd);
	}
	atomic_store(&racing, 0);
	pthread_join(t, NULL);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	const char *mode = argv[1];
	if (!strcmp(mode, "victim"))
		return victim();
	if (!strcmp(mode, "ptrace") && argc == 4)
		return do_ptrace(atoi(argv[2]), strtoul(argv[3], NULL, 10));
	if (!strcmp(mode, "vm") && argc == 4)
		return do_vm(atoi(argv[2]), strtoul(argv[3], NULL, 10));
	if (!strcmp(mode, "signal") && argc == 3)
		return do_signal(atoi(argv[2]));
	if (!strcmp(mode, "creds"))
		return do_creds();
	if (!strcmp(mode, "drop-exec") && argc >= 4)
		return do_drop_exec(atoi(argv[2]), argv + 3);
	if (!strcmp(mode, "whoami"))
		return do_whoami();
	if (!strcmp(mode, "module") && argc == 3)
		return do_module(argv[2]);
	if (!strcmp(mode, "bpf"))
		return do_bpf();
	if (!strcmp(mode, "memfd") && argc == 4)
		return do_memfd(argv[2], argv[3]);
	if (!strcmp(mode, "later-creds"))
		return do_later_creds();
	if (!strcmp(mode, "threads-setresuid") && argc == 3)
		return do_threads_setresuid(atoi(argv[2]));
	if (!strcmp(mode, "bpf-race") && argc == 3)
		return do_bpf_race(atoi(argv[2]));
	fprintf(stderr, "intruder: unknown mode or arguments\n");
	return 2;
}
