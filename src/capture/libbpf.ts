/**
 * The capture's use of libbpf, through koffi and the system's libbpf.so.1:
 * open and load bpf/rg.bpf.o, write the config maps, attach the tracepoint
 * programs, read the drop counters, clean up. Nothing on the per-event path
 * goes through here: records are drained by ringbuf.ts straight from mmap.
 *
 * libbpf 1.x conventions relied on: int-returning calls return -errno;
 * pointer-returning calls return NULL and set errno.
 */
import { closeSync, readFileSync, readSync } from 'node:fs';
import koffi from 'koffi';
import { CAPTURE_CONFIG, FILE_FILTER_CONFIG } from '../abi/schema.js';
import { CaptureSetupError, SetupExit } from './errors.js';
import { errnoText, lastErrno, pageSize } from './libc.js';
import { iteratorsToRun, programsToAttach } from './programs.js';

export { CaptureSetupError, SetupExit } from './errors.js';

export interface LoadOptions {
  /** Path of the compiled CO-RE object (bpf/rg.bpf.o). */
  objectPath: string;
  /** Ring-buffer data size in bytes: a power of two and a multiple of the page size. */
  ringBytes: number;
  /** Places in FOLLOWED (followedCapacity): the kernel's pid_max when following, 1 when not; default pid_max. */
  followedEntries?: number;
}

export interface AttachOptions {
  /** config.follow will be 1: fork and exit must run to maintain FOLLOWED even if not recorded. */
  follow?: boolean;
}

const EPERM = 1;
const ENOENT = 2;
const EACCES = 13;


type Ptr = unknown;
interface Libbpf {
  libbpf_set_print(fn: Ptr): Ptr;
  bpf_object__open_file(path: string, opts: null): Ptr;
  bpf_object__find_map_by_name(obj: Ptr, name: string): Ptr;
  bpf_object__find_program_by_name(obj: Ptr, name: string): Ptr;
  bpf_map__set_max_entries(map: Ptr, n: number): number;
  bpf_map__fd(map: Ptr): number;
  bpf_object__load(obj: Ptr): number;
  bpf_object__close(obj: Ptr): void;
  bpf_program__attach(prog: Ptr): Ptr;
  bpf_link__destroy(link: Ptr): number;
  bpf_link__fd(link: Ptr): number;
  bpf_iter_create(linkFd: number): number;
  bpf_map_update_elem(fd: number, key: Uint8Array, value: Uint8Array, flags: number): number;
  bpf_map_lookup_elem(fd: number, key: Uint8Array, value: Uint8Array): number;
  bpf_map_get_next_key(fd: number, key: Uint8Array | null, next: Uint8Array): number;
  libbpf_num_possible_cpus(): number;
  bpf_program__fd(prog: Ptr): number;
  bpf_prog_test_run_opts(fd: number, opts: Uint8Array): number;
}

/** PID_MAX_LIMIT on 64-bit kernels: no pid is ever this large. */
const PID_MAX_LIMIT = 4 * 1024 * 1024;

/**
 * Places FOLLOWED needs: one per tgid the kernel can give, i.e. its pid_max (tgids are below it), so a
 * followed tree cannot outgrow the table however many processes it keeps alive. The table is not
 * preallocated: it costs 16 bytes a place up front (512 KiB for 32,768) plus each followed process.
 * Not following: 1. pid_max unreadable: PID_MAX_LIMIT (64 MiB of buckets).
 */
export function followedCapacity(follow: boolean, readPidMax: () => string = () => readFileSync('/proc/sys/kernel/pid_max', 'utf8')): number {
  if (!follow) return 1;
  let pidMax = NaN;
  try {
    pidMax = Number(readPidMax().trim());
  } catch {
    // a /proc without it: the largest the kernel allows
  }
  return Number.isInteger(pidMax) && pidMax > 0 && pidMax <= PID_MAX_LIMIT ? pidMax : PID_MAX_LIMIT;
}

let libbpf: Libbpf | undefined;
/** Recent libbpf warning lines, so a one-line error can say why (e.g. the verifier's complaint). */
const recentLog: string[] = [];

function loadLibbpf(): Libbpf {
  if (libbpf !== undefined) return libbpf;
  let lib: koffi.IKoffiLib;
  try {
    lib = koffi.load('libbpf.so.1');
  } catch {
    throw new CaptureSetupError('libbpf.so.1 not found: install libbpf1', SetupExit.Unavailable);
  }
  const f = {
    libbpf_set_print: lib.func('void *libbpf_set_print(void *fn)'),
    bpf_object__open_file: lib.func('void *bpf_object__open_file(const char *path, const void *opts)'),
    bpf_object__find_map_by_name: lib.func('void *bpf_object__find_map_by_name(void *obj, const char *name)'),
    bpf_object__find_program_by_name: lib.func('void *bpf_object__find_program_by_name(void *obj, const char *name)'),
    bpf_map__set_max_entries: lib.func('int bpf_map__set_max_entries(void *map, uint32_t n)'),
    bpf_map__fd: lib.func('int bpf_map__fd(void *map)'),
    bpf_object__load: lib.func('int bpf_object__load(void *obj)'),
    bpf_object__close: lib.func('void bpf_object__close(void *obj)'),
    bpf_program__attach: lib.func('void *bpf_program__attach(void *prog)'),
    bpf_link__destroy: lib.func('int bpf_link__destroy(void *link)'),
    bpf_link__fd: lib.func('int bpf_link__fd(void *link)'),
    bpf_iter_create: lib.func('int bpf_iter_create(int link_fd)'),
    bpf_map_update_elem: lib.func('int bpf_map_update_elem(int fd, const void *key, const void *value, uint64_t flags)'),
    bpf_map_lookup_elem: lib.func('int bpf_map_lookup_elem(int fd, const void *key, void *value)'),
    bpf_map_get_next_key: lib.func('int bpf_map_get_next_key(int fd, const void *key, void *next_key)'),
    libbpf_num_possible_cpus: lib.func('int libbpf_num_possible_cpus()'),
    bpf_program__fd: lib.func('int bpf_program__fd(void *prog)'),
    bpf_prog_test_run_opts: lib.func('int bpf_prog_test_run_opts(int fd, void *opts)'),
  } as Libbpf;
  installPrintCallback(lib, f);
  libbpf = f;
  return f;
}

/**
 * libbpf prints to stderr by default (pages of verifier log on failure). We
 * format its lines with vsnprintf (the callback gets a va_list) and keep the
 * last few warnings for our error message instead. The callback stays
 * registered for the life of the process: libbpf keeps the pointer globally.
 */
function installPrintCallback(_lib: koffi.IKoffiLib, f: Libbpf): void {
  const libc = koffi.load('libc.so.6');
  const vsnprintf = libc.func('int vsnprintf(void *buf, size_t n, const char *fmt, void *ap)');
  const PrintFn = koffi.proto('int rg_libbpf_print_fn(int level, const char *fmt, void *ap)');
  const buf = Buffer.alloc(1024);
  const cb = koffi.register((level: number, fmt: string, ap: Ptr): number => {
    if (level !== 0) return 0; // LIBBPF_WARN only; INFO/DEBUG are noise here
    const n = vsnprintf(buf, buf.length, fmt, ap) as number;
    const text = buf.toString('utf8', 0, Math.max(0, Math.min(n, buf.length - 1))).trim();
    if (text !== '') {
      recentLog.push(text);
      if (recentLog.length > 8) recentLog.shift();
    }
    return 0;
  }, koffi.pointer(PrintFn));
  f.libbpf_set_print(cb);
}

/** The most telling libbpf line: the last one, which names the failing step. */
function libbpfReason(): string {
  const last = recentLog[recentLog.length - 1];
  return last === undefined ? '' : `: ${last.replace(/\s+/g, ' ')}`;
}

function isNull(p: Ptr): boolean {
  return p === null || koffi.address(p as never) === 0n;
}

/** A loaded rg.bpf.o: map fds, attached links, and the config writes user space does. */
export class BpfCapture {
  private links: Ptr[] = [];
  private closed = false;
  private readonly zeroKey = new Uint8Array(4);

  private constructor(
    private readonly lib: Libbpf,
    private readonly obj: Ptr,
    /** fd of the EVENTS ring buffer, for RingBufferReader. */
    readonly ringFd: number,
    /** Data size of EVENTS in bytes. */
    readonly ringBytes: number,
    private readonly fds: { config: number; fileFilter: number; lost: number; followed: number; uringRequests: number },
  ) {}

  /** Opens the object, sizes EVENTS to ringBytes and loads every program (nothing is attached yet). */
  static open(opts: LoadOptions): BpfCapture {
    const page = pageSize();
    const rb = opts.ringBytes;
    if (!Number.isInteger(rb) || rb < page || (rb & (rb - 1)) !== 0 || rb > 2 ** 30) {
      throw new CaptureSetupError(`ring buffer size must be a power of two between ${page} and 1 GiB, got ${rb}`);
    }
    const lib = loadLibbpf();
    recentLog.length = 0;
    const obj = lib.bpf_object__open_file(opts.objectPath, null);
    if (isNull(obj)) {
      const errno = lastErrno();
      const what = errno === ENOENT ? 'file not found (run npm run build:bpf)' : `${errnoText(errno)}${libbpfReason()}`;
      throw new CaptureSetupError(`cannot open BPF object ${opts.objectPath}: ${what}`, SetupExit.Unavailable);
    }
    try {
      const map = (name: string): Ptr => {
        const m = lib.bpf_object__find_map_by_name(obj, name);
        if (isNull(m)) throw new CaptureSetupError(`${opts.objectPath} has no map ${name}: rebuild it with npm run build:bpf`);
        return m;
      };
      const events = map('EVENTS');
      let err = lib.bpf_map__set_max_entries(events, rb);
      if (err < 0) throw new CaptureSetupError(`cannot size the ring buffer to ${rb} bytes: ${errnoText(-err)}`);
      const followed = opts.followedEntries ?? followedCapacity(true);
      err = lib.bpf_map__set_max_entries(map('FOLLOWED'), followed);
      if (err < 0) throw new CaptureSetupError(`cannot size the followed-process table to ${followed}: ${errnoText(-err)}`);
      err = lib.bpf_object__load(obj);
      if (err < 0) throw loadError(-err);
      const fd = (name: string): number => lib.bpf_map__fd(map(name));
      return new BpfCapture(lib, obj, fd('EVENTS'), rb, {
        config: fd('CONFIG'), fileFilter: fd('FILE_FILTER'), lost: fd('LOST'), followed: fd('FOLLOWED'),
        uringRequests: fd('URING_REQUESTS'),
      });
    } catch (e) {
      lib.bpf_object__close(obj);
      throw e;
    }
  }

  /** Writes CONFIG[0]: bytes from encodeCaptureConfig. Takes effect for the next event. */
  setConfig(bytes: Uint8Array): void {
    this.update(this.fds.config, this.zeroKey, bytes, CAPTURE_CONFIG.size, 'CONFIG');
  }

  /** Writes FILE_FILTER[0]: bytes from encodeFileFilterConfig. */
  setFileFilter(bytes: Uint8Array): void {
    this.update(this.fds.fileFilter, this.zeroKey, bytes, FILE_FILTER_CONFIG.size, 'FILE_FILTER');
  }

  /** Adds a process to FOLLOWED; its descendants forked afterwards are added by the kernel. */
  followTgid(tgid: number): void {
    const key = new Uint8Array(4);
    new DataView(key.buffer).setUint32(0, tgid, true);
    this.update(this.fds.followed, key, Uint8Array.of(1), 1, 'FOLLOWED');
  }

  /**
   * Attaches the programs for `kinds` (kind ids), as the registry lists them
   * (programsToAttach: with the canary's, and fork/exit when following). The
   * programs check events_mask themselves: opens and connects share one on
   * the raw sys_exit tracepoint, at sys_exit alone (a sys_enter_* program
   * would make every syscall of every process pay; see rg.bpf.c). Idempotent
   * per call: links from an earlier call are kept. Attaching is the slow part
   * (tens of ms).
   */
  attachAll(kinds: ReadonlySet<number>, opts: AttachOptions = {}): void {
    for (const name of programsToAttach(kinds, opts.follow === true)) {
      const prog = this.lib.bpf_object__find_program_by_name(this.obj, name);
      if (isNull(prog)) throw new CaptureSetupError(`BPF object has no program ${name}: rebuild it with npm run build:bpf`);
      recentLog.length = 0;
      const link = this.lib.bpf_program__attach(prog);
      if (isNull(link)) {
        const errno = lastErrno();
        this.detach();
        throw new CaptureSetupError(`cannot attach ${name}: ${errnoText(errno)}${libbpfReason()}`,
          errno === EPERM || errno === EACCES ? SetupExit.NoPermission : SetupExit.Unavailable);
      }
      this.links.push(link);
    }
    // After the programs: what the iterators learn cannot then change unseen before the programs run.
    for (const name of iteratorsToRun(kinds)) this.runIterator(name);
  }

  /** Attaches an iterator program, runs it over every task by reading its fd to the end, and detaches it. */
  private runIterator(name: string): void {
    const prog = this.lib.bpf_object__find_program_by_name(this.obj, name);
    if (isNull(prog)) throw new CaptureSetupError(`BPF object has no program ${name}: rebuild it with npm run build:bpf`);
    recentLog.length = 0;
    const link = this.lib.bpf_program__attach(prog);
    if (isNull(link)) throw new CaptureSetupError(`cannot attach ${name}: ${errnoText(lastErrno())}${libbpfReason()}`);
    try {
      const fd = this.lib.bpf_iter_create(this.lib.bpf_link__fd(link));
      if (fd < 0) throw new CaptureSetupError(`cannot run ${name}: ${errnoText(-fd)}`);
      try {
        const buf = Buffer.alloc(4096);
        while (readSync(fd, buf) > 0) { /* the program prints nothing: reading drives it over every task */ }
      } finally {
        closeSync(fd);
      }
    } finally {
      this.lib.bpf_link__destroy(link);
    }
  }

  /**
   * Runs handle_udp_summaries once (BPF_PROG_TEST_RUN; it is never attached):
   * a summary record for every UDP destination whose repeats no record has
   * carried yet. Call after detach, before the final drain.
   */
  writeUdpSummaries(): void {
    const prog = this.lib.bpf_object__find_program_by_name(this.obj, 'handle_udp_summaries');
    if (isNull(prog)) throw new CaptureSetupError('BPF object has no program handle_udp_summaries: rebuild it with npm run build:bpf');
    // struct bpf_test_run_opts (libbpf 1.x): sz first, everything else zero (no data, no ctx, one run).
    const opts = new Uint8Array(80);
    new DataView(opts.buffer).setBigUint64(0, 80n, true);
    const err = this.lib.bpf_prog_test_run_opts(this.lib.bpf_program__fd(prog), opts);
    if (err < 0) throw new CaptureSetupError(`cannot write the UDP repeat summaries: ${errnoText(-err)}`);
  }

  /**
   * How many io_uring requests the kernel program holds between their submission and their completion
   * (URING_REQUESTS), counting no further than `limit`: 0 when none is in flight.
   */
  uringRequestsInFlight(limit: number): number {
    const a = new Uint8Array(8);
    const b = new Uint8Array(8);
    let prev: Uint8Array | null = null;
    let n = 0;
    for (let next = a; n < limit; next = next === a ? b : a) {
      if (this.lib.bpf_map_get_next_key(this.fds.uringRequests, prev, next) !== 0) break;
      prev = next;
      n++;
    }
    return n;
  }

  /** LOST (ring buffer full, or a followed child that could not be kept in scope) per possible CPU; sum them for the total. */
  readLostPerCpu(): bigint[] {
    const ncpu = this.lib.libbpf_num_possible_cpus();
    if (ncpu <= 0) throw new CaptureSetupError(`cannot count possible CPUs: ${errnoText(-ncpu)}`);
    const value = new Uint8Array(ncpu * 8); // per-CPU values are each rounded up to 8 bytes
    const err = this.lib.bpf_map_lookup_elem(this.fds.lost, this.zeroKey, value);
    if (err < 0) throw new CaptureSetupError(`cannot read LOST: ${errnoText(-err)}`);
    const view = new DataView(value.buffer);
    return Array.from({ length: ncpu }, (_, i) => view.getBigUint64(i * 8, true));
  }

  /** Destroys all links, newest first (each takes tens of ms: the kernel waits for running programs). */
  detach(): void {
    for (const link of this.links.reverse()) this.lib.bpf_link__destroy(link);
    this.links = [];
  }

  /** Detaches, then frees the object and its maps (the ring fd is invalid afterwards). Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.detach();
    this.lib.bpf_object__close(this.obj);
    this.closed = true;
  }

  private update(fd: number, key: Uint8Array, value: Uint8Array, size: number, map: string): void {
    if (value.length !== size) throw new CaptureSetupError(`${map} value must be ${size} bytes, got ${value.length}`);
    const err = this.lib.bpf_map_update_elem(fd, key, value, 0);
    if (err < 0) throw new CaptureSetupError(`cannot write ${map}: ${errnoText(-err)}`);
  }
}

function loadError(errno: number): CaptureSetupError {
  if (errno === EPERM || errno === EACCES) {
    return new CaptureSetupError(`needs root or CAP_BPF + CAP_PERFMON (load: ${errnoText(errno)})`,
      SetupExit.NoPermission);
  }
  return new CaptureSetupError(`loading the BPF object failed: ${errnoText(errno)}${libbpfReason()}`);
}
