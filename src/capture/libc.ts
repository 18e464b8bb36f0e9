/**
 * The few libc calls capture needs that Node does not expose (mmap, munmap,
 * mount, epoll), bound once through koffi. Loaded lazily so that importing
 * capture modules on a host without koffi's native part still works.
 */
import koffi from 'koffi';

export interface Libc {
  mmap(addr: null, length: number, prot: number, flags: number, fd: number, offset: number): unknown;
  munmap(addr: unknown, length: number): number;
  mount(source: string, target: string, fstype: string, flags: number, data: null): number;
  epoll_create1(flags: number): number;
  epoll_ctl(epfd: number, op: number, fd: number, event: Buffer): number;
  epoll_wait(epfd: number, events: Buffer, maxevents: number, timeout: number): number;
  close(fd: number): number;
  sysconf(name: number): number;
  strerror(errnum: number): string;
  clock_gettime(clock: number, timespec: Buffer): number;
  sched_setscheduler(pid: number, policy: number, param: Buffer): number;
}

export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const MAP_SHARED = 1;
export const EPOLLIN = 1;
export const EPOLL_CTL_ADD = 1;
export const EPOLL_CLOEXEC = 0o2000000;
const SC_PAGESIZE = 30;

let libc: Libc | undefined;

export function getLibc(): Libc {
  if (libc !== undefined) return libc;
  const lib = koffi.load('libc.so.6');
  libc = {
    // off_t is 64-bit on x86_64; koffi passes JS numbers for it exactly below 2^53.
    mmap: lib.func('void *mmap(void *addr, size_t length, int prot, int flags, int fd, int64_t offset)'),
    munmap: lib.func('int munmap(void *addr, size_t length)'),
    mount: lib.func('int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const void *data)'),
    epoll_create1: lib.func('int epoll_create1(int flags)'),
    epoll_ctl: lib.func('int epoll_ctl(int epfd, int op, int fd, void *event)'),
    epoll_wait: lib.func('int epoll_wait(int epfd, void *events, int maxevents, int timeout)'),
    close: lib.func('int close(int fd)'),
    sysconf: lib.func('long sysconf(int name)'),
    strerror: lib.func('const char *strerror(int errnum)'),
    clock_gettime: lib.func('int clock_gettime(int clk, void *tp)'),
    sched_setscheduler: lib.func('int sched_setscheduler(int pid, int policy, const void *param)'),
  } as Libc;
  return libc;
}

export function pageSize(): number {
  return getLibc().sysconf(SC_PAGESIZE);
}

/** errno of the last failed libc/libbpf call on this thread. */
export function lastErrno(): number {
  return koffi.errno();
}

/** "ENOENT-style" text for an errno value, e.g. "Operation not permitted". */
export function errnoText(errno: number): string {
  return `${getLibc().strerror(errno)} (errno ${errno})`;
}

const CLOCK_REALTIME = 0;
const CLOCK_MONOTONIC = 1;

/**
 * CLOCK_REALTIME and CLOCK_MONOTONIC read back to back, in ns: the pair that
 * turns the kernel's bpf_ktime_get_ns() (CLOCK_MONOTONIC) into wall-clock time.
 * Read as mono, real, mono and centred, so the pair's error is half the gap.
 */
export function clockPair(): { realtimeNs: bigint; monotonicNs: bigint } {
  const c = getLibc();
  const ts = Buffer.alloc(16);
  const read = (clock: number): bigint => {
    if (c.clock_gettime(clock, ts) !== 0) throw new Error(`clock_gettime: ${errnoText(lastErrno())}`);
    return ts.readBigInt64LE(0) * 1_000_000_000n + ts.readBigInt64LE(8);
  };
  const before = read(CLOCK_MONOTONIC);
  const realtimeNs = read(CLOCK_REALTIME);
  const after = read(CLOCK_MONOTONIC);
  return { realtimeNs, monotonicNs: (before + after) / 2n };
}

const SCHED_FIFO = 1;

/**
 * Moves the calling thread (not the process: on Linux pid 0 names the
 * calling thread) to SCHED_FIFO at `priority` (1-99). Returns 0, or the errno
 * (EPERM without CAP_SYS_NICE, or where a cgroup grants no real-time time).
 */
export function makeThreadRealtime(priority: number): number {
  const param = Buffer.alloc(4); // struct sched_param { int sched_priority; }
  param.writeInt32LE(priority, 0);
  return getLibc().sched_setscheduler(0, SCHED_FIFO, param) === 0 ? 0 : lastErrno();
}
