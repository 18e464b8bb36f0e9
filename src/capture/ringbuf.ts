/**
 * Drains the EVENTS ring buffer by reading its mmap'ed memory directly: no
 * libbpf callback per record (2-3 us each through koffi), just a JS walk over
 * a view taken once. Kernel ABI (kernel/bpf/ringbuf.c):
 *   page 0            consumer position (u64), the only page we may write
 *   page 1            producer position (u64)
 *   page 2..          data, ringBytes long, mapped twice back to back so a
 *                     record that wraps past the end is still contiguous
 * Each record: u32 length (bit 31 BUSY = not committed yet, bit 30 DISCARD),
 * u32 page offset, then the data; records are 8-byte aligned.
 */
import koffi from 'koffi';
import {
  EPOLL_CLOEXEC, EPOLL_CTL_ADD, EPOLLIN, MAP_SHARED, PROT_READ, PROT_WRITE, errnoText, getLibc, lastErrno, pageSize,
} from './libc.js';

const BUSY_BIT = 0x80000000;
const DISCARD_BIT = 0x40000000;
const HEADER_BYTES = 8;
const EINTR = 4;
/** epoll: report a file only when it is woken, not while it stays ready (<sys/epoll.h>) */
const EPOLLET = 1 << 31;

/** Called for each committed record; `bytes` is the mapped ring, valid only during the call. */
export type RecordHandler = (bytes: Uint8Array, offset: number, length: number) => void;

/** With this much unconsumed data, waitSync returns at once: drain now. */
const BATCH_BYTES = 64 << 10;
/** A fast stream with less pending than BATCH_BYTES: sleep this long so records are drained in batches. */
const BATCH_WAIT_MS = 2;
const SLEEPER = new Int32Array(new SharedArrayBuffer(4));

/**
 * The fastest the programs fill the ring, in bytes per ms: an openat loop under
 * capture on this 2-CPU VM peaked at ~1.25M records/s of 624 bytes (file_open
 * with both paths, and its ring header), ~780 MB/s, rounded up.
 */
const PEAK_BYTES_PER_MS = 800_000;
/**
 * During a drain, the consumer position is published each time this much has
 * been walked, not only at the end: the kernel gets the space back while the
 * pass goes on (a pass behind a full ring walks all 8 MiB).
 */
const PUBLISH_BYTES = 128 << 10;
const MAX_WAIT_MS = 25;
const MIN_WAIT_MS = 2;

/**
 * How long the drain worker waits for the kernel's wake-up before draining
 * anyway: no longer than the ring takes to fill at the peak rate, so a wake-up
 * that never comes (rg.bpf.c's submit_flags admits a rare miss) costs latency,
 * not records; and at most MAX_WAIT_MS, which bounds what stop and live output
 * wait for. 10 ms for the default 8 MiB ring, 2 ms for a 1 MiB one.
 */
export function fallbackWaitMs(ringBytes: number): number {
  return Math.max(MIN_WAIT_MS, Math.min(MAX_WAIT_MS, Math.floor(ringBytes / PEAK_BYTES_PER_MS)));
}

export class RingBufferReader {
  private readonly page: number;
  private readonly mask: number;
  private consumerMap: unknown;
  private dataMap: unknown;
  /** consumer position (page 0), written by us */
  private readonly consumerPos: BigUint64Array;
  /** producer position (page 1), written by the kernel */
  private readonly producerPos: BigUint64Array;
  /** data area, twice: [0, 2 * ringBytes) */
  private readonly data: Uint8Array;
  /** same memory as 32-bit words, for atomic reads of record headers */
  private readonly words: Uint32Array;
  /** Our copy of the consumer position: a Number is exact up to 2^53 bytes consumed. */
  private consumed: number;
  private epfd = -1;
  private readonly epollEvents = Buffer.alloc(12 * 4); // struct epoll_event is packed (12 bytes) on x86_64

  constructor(private readonly ringFd: number, readonly ringBytes: number) {
    const libc = getLibc();
    this.page = pageSize();
    this.mask = ringBytes - 1;
    this.consumerMap = mapOrThrow(libc.mmap(null, this.page, PROT_READ | PROT_WRITE, MAP_SHARED, ringFd, 0), 'consumer page');
    try {
      this.dataMap = mapOrThrow(libc.mmap(null, this.page + 2 * ringBytes, PROT_READ, MAP_SHARED, ringFd, this.page),
        'producer page and data');
    } catch (e) {
      libc.munmap(this.consumerMap, this.page);
      throw e;
    }
    this.consumerPos = new BigUint64Array(koffi.view(this.consumerMap as never, 8));
    const all = koffi.view(this.dataMap as never, this.page + 2 * ringBytes);
    this.producerPos = new BigUint64Array(all, 0, 1);
    this.data = new Uint8Array(all, this.page, 2 * ringBytes);
    this.words = new Uint32Array(all, this.page, (2 * ringBytes) / 4);
    this.consumed = Number(Atomics.load(this.consumerPos, 0));
  }

  /**
   * Walks committed records from the consumer to the producer position,
   * calling onRecord for each one not discarded; stops at a record still
   * BUSY (reserved, not yet submitted) or after maxRecords. Publishes the
   * consumer position every PUBLISH_BYTES and after the walk, always past
   * records whose callback has returned, so the kernel cannot reuse space the
   * callback is still reading. Returns the number of records walked.
   */
  drain(onRecord: RecordHandler, maxRecords = Infinity): number {
    // Atomics.load is sequentially consistent: at least the acquire the kernel ABI asks for.
    const producer = Number(Atomics.load(this.producerPos, 0));
    const { data, words, mask } = this;
    let pos = this.consumed;
    let seen = 0;
    while (pos < producer && seen < maxRecords) {
      const at = pos & mask; // ringBytes <= 2^30, so the int32 conversion keeps the bits we need
      const len = Atomics.load(words, at >>> 2);
      if ((len & BUSY_BIT) !== 0) break;
      const size = len & ~(BUSY_BIT | DISCARD_BIT);
      if ((len & DISCARD_BIT) === 0) onRecord(data, at + HEADER_BYTES, size);
      pos += (size + HEADER_BYTES + 7) & ~7;
      seen++;
      if (pos - this.consumed >= PUBLISH_BYTES) {
        this.consumed = pos;
        Atomics.store(this.consumerPos, 0, BigInt(pos));
      }
    }
    if (pos !== this.consumed) {
      this.consumed = pos;
      Atomics.store(this.consumerPos, 0, BigInt(pos));
    }
    return seen;
  }

  /** Bytes committed or reserved by the kernel but not yet consumed. */
  pending(): number {
    return Number(Atomics.load(this.producerPos, 0)) - this.consumed;
  }

  /** Bytes consumed since the ring was mapped (what drain() has walked past). */
  get consumedBytes(): number {
    return this.consumed;
  }

  /**
   * Waits for records to drain; returns pending(). With a batch (BATCH_BYTES)
   * pending, returns at once. With less, a fast stream sleeps BATCH_WAIT_MS:
   * epoll reports the ring readable whenever anything is unconsumed, so waiting
   * on it would return at once and each pass would drain a handful of records
   * (measured: capture CPU fell from 0.58-0.78 to 0.31-0.43 us per event with
   * the sleep, with no loss). A slow stream (`slow`, the caller's judgement),
   * or an empty ring, waits on epoll instead, up to timeoutMs.
   *
   * The epoll registration is edge-triggered: it reports the ring only when
   * the kernel wakes its readers, which with BPF_RB_NO_WAKEUP submissions is
   * once the unconsumed data passes wakeup_bytes (submit_flags in rg.bpf.c),
   * not whenever a record is pending. So a slow stream is drained once per
   * timeout instead of every BATCH_WAIT_MS: a pass has a fixed cost in JS, and
   * under a fork/exec loop (a few thousand records a second) the 2 ms sleeps
   * meant ~100 passes a second; now ~37, and the drain worker's CPU per second
   * of the loop went from ~12 to ~10 ms (bench/capture-cost.ts, old and new
   * builds in the same rounds). A fast stream is drained as before: in paired
   * sustained-rate runs on the busy shared machine, both builds lost records in
   * 2 of 8 (the worker starved of CPU), none with the worker waiting for a wake-up
   * that never came. Callers must drain on the timeout too, and use this from a
   * worker thread (it blocks the thread).
   */
  waitSync(timeoutMs: number, slow = false): number {
    const ready = this.pending();
    if (ready >= BATCH_BYTES) return ready;
    if (ready > 0 && !slow) {
      Atomics.wait(SLEEPER, 0, 0, Math.min(BATCH_WAIT_MS, Math.max(0, timeoutMs)));
      return this.pending();
    }
    const libc = getLibc();
    if (this.epfd < 0) {
      const epfd = libc.epoll_create1(EPOLL_CLOEXEC);
      if (epfd < 0) throw new Error(`ringbuf: epoll_create1: ${errnoText(lastErrno())}`);
      const ev = Buffer.alloc(12);
      ev.writeUInt32LE((EPOLLIN | EPOLLET) >>> 0, 0);
      if (libc.epoll_ctl(epfd, EPOLL_CTL_ADD, this.ringFd, ev) < 0) {
        const errno = lastErrno();
        libc.close(epfd);
        throw new Error(`ringbuf: epoll_ctl: ${errnoText(errno)}`);
      }
      this.epfd = epfd;
    }
    const n = libc.epoll_wait(this.epfd, this.epollEvents, 4, Math.max(0, Math.trunc(timeoutMs)));
    if (n < 0 && lastErrno() !== EINTR) throw new Error(`ringbuf: epoll_wait: ${errnoText(lastErrno())}`);
    return this.pending();
  }

  /** Unmaps the ring; the reader is unusable afterwards. Safe to call twice. */
  close(): void {
    const libc = getLibc();
    if (this.epfd >= 0) libc.close(this.epfd);
    this.epfd = -1;
    if (this.dataMap !== null) libc.munmap(this.dataMap, this.page + 2 * this.ringBytes);
    if (this.consumerMap !== null) libc.munmap(this.consumerMap, this.page);
    this.dataMap = null;
    this.consumerMap = null;
  }
}

/** mmap returns MAP_FAILED ((void *)-1), not NULL, on error. */
function mapOrThrow(ptr: unknown, what: string): unknown {
  const addr = ptr === null ? 0n : koffi.address(ptr as never);
  if (addr === 0n || addr === 0xffffffffffffffffn) {
    throw new Error(`ringbuf: cannot mmap the ${what}: ${errnoText(lastErrno())}`);
  }
  return ptr;
}
