/**
 * What happens to each record once the file layer has read it: the process
 * table learns from every accepted event, filters choose what is shown,
 * the sink prints it with its process context, and rules raise alerts.
 * Shared by sequential replay and the timestamp merge of several captures.
 */
import { DispatchCounts, rawKindOf, reasonOfCode } from '../abi/dispatch.js';
import { KIND_OFFSET, PID_OFFSET, SIZE_OFFSET, TID_OFFSET, VERSION_OFFSET } from '../abi/header-access.js';
import { BUILD_SCHEMA, type Schema } from '../abi/schema.js';
import { type Manifest } from '../rgc/manifest.js';
import { type EventExtra, type EventSink } from '../output/sinks.js';
import { WallClock } from '../output/wall-clock.js';
import { boundToMonotonic, type EventFilter } from './filters.js';
import { ProcessTable, type ProcessNode } from './process-table.js';
import { type AlertEngine } from './rules/alerts.js';
import { enrichmentExtra } from './net/enrichment-output.js';
import { NetState } from './net/net-state.js';
import { SharedSchemas } from './shared-schemas.js';
import { inputOrigin, type InputOrigin, processHostKey, sharedBootNotes } from './hosts.js';

export interface SessionOptions {
  readonly sink: EventSink<ProcessNode>;
  readonly filter: EventFilter;
  /** Build the process table (needed for context, --tree, tree view and rules). */
  readonly withProcesses: boolean;
  /** Keep every process and its children for the tree view (memory grows with the capture). */
  readonly keepProcessHistory: boolean;
  readonly alerts: AlertEngine | null;
  /** Print only alerts (and, with `withSourceEvents`, the events that raised them). */
  readonly alertsOnly: boolean;
  readonly withSourceEvents: boolean;
  /** Decode by this build's schema, or by each file's manifest (fields this build knows). */
  readonly decodeBy: 'build' | 'manifest';
  /** The kind registry to decode and present by (default: this build's). */
  readonly schema?: Schema;
  /**
   * Learn network state (resolved names, connections, listeners) from the
   * records: printed events, rules and the tree show it; --stats shows none
   * of it. Default true.
   */
  readonly withNetwork?: boolean;
}

/**
 * A copy of `o` made by one object literal, so that every session's options
 * (a replay's and its warm-up's scratch session's, built by a spread) have
 * one hidden class: accept and print read them on every event, and two
 * classes made those loads polymorphic. Every key is listed (the type says
 * if one is missing).
 */
function sameShape(o: SessionOptions): SessionOptions {
  const copy: { [K in keyof Required<SessionOptions>]: SessionOptions[K] } = {
    sink: o.sink, filter: o.filter, withProcesses: o.withProcesses, keepProcessHistory: o.keepProcessHistory, alerts: o.alerts,
    alertsOnly: o.alertsOnly, withSourceEvents: o.withSourceEvents, decodeBy: o.decodeBy, schema: o.schema, withNetwork: o.withNetwork,
  };
  return copy;
}

/** Per-input state: which host's process table and which clock its records use. */
export interface InputContext {
  /** The process table's key (hosts.ts): hostname and boot id. */
  readonly host: string;
  /** Where its events come from, for output: set when the replay merges several captures (null otherwise). */
  readonly origin: InputOrigin | null;
  readonly clock: WallClock | null;
  /** uid -> user name from the manifest (Sigma's User); empty for captures that predate it. */
  readonly users: ReadonlyMap<number, string>;
  readonly sinceMono: bigint | null;
  readonly untilMono: bigint | null;
  /** The schema version the input's records were written with (rules can tell an older capture's events). */
  readonly schemaVersion: number;
}

/** A monotonic time no record reaches. */
const NEVER = (1n << 64n) - 1n;

/** Records accepted before the session warms up its enriched path, and the rounds it runs it (see ReplaySession.warmUp). */
const WARM_UP_AFTER = 32;
const WARM_UP_ROUNDS = 8;

export class ReplaySession {
  readonly schema: Schema;
  readonly counts: DispatchCounts;
  readonly table: ProcessTable | null;
  /** Names each process resolved, its connections and listeners: learnt from every event, like the table. */
  readonly net: NetState;
  private readonly clocks = new Map<string, WallClock | null>();
  /** Each process table key's origin (hostname, capture id), as its first input gave it: the tree labels roots by it. */
  private readonly origins = new Map<string, InputOrigin>();
  /** Each process table key's recorder pids (recordersOfHost); null: a capture of it names none. */
  private readonly recorders = new Map<string, Set<number> | null>();
  /** Inputs whose manifest was read, for the notes on a boot id shared across hosts or capture runs. */
  private readonly manifests: { path: string; manifest: Manifest }[] = [];
  /**
   * Events and alerts carry their input's host and capture (merged replay
   * of several captures: replay.ts sets it before the first input is read).
   */
  labelled = false;
  /** The inputs' manifest schemas, each distinct one kept once. */
  readonly schemas = new SharedSchemas();
  alertCount = 0;
  shown = 0;
  /** Records accepted so far, up to WARM_UP_AFTER (see warmUp). */
  private accepted = 0;
  /** options.withNetwork: false for --stats, whose output network state never reaches (work capture: ~70k records observed for nothing). */
  private readonly watchesNetwork: boolean;

  readonly options: SessionOptions;

  constructor(options: SessionOptions) {
    this.options = sameShape(options);
    this.schema = options.schema ?? BUILD_SCHEMA;
    this.counts = new DispatchCounts(this.schema);
    this.table = options.withProcesses ? new ProcessTable(options.keepProcessHistory, this.schema) : null;
    this.net = new NetState(this.schema);
    this.watchesNetwork = options.withNetwork !== false;
  }

  /** The context for an input, from its manifest (null when the manifest was unreadable). */
  contextFor(path: string, manifest: Manifest | null): InputContext {
    const clock = manifest ? new WallClock(manifest.clock.realtime_ns, manifest.clock.monotonic_ns) : null;
    const users = new Map(manifest?.host.users ?? []);
    // Processes are keyed by host and boot: pids of two boots or two hosts never share a table entry.
    const host = processHostKey(manifest, path);
    if (!this.clocks.has(host)) this.clocks.set(host, clock);
    if (manifest !== null) this.manifests.push({ path, manifest });
    const origin = this.labelled ? inputOrigin(manifest) : null;
    if (origin !== null && manifest !== null && !this.origins.has(host)) this.origins.set(host, origin);
    this.noteRecorder(host, manifest);
    const offset = manifest ? manifest.clock.realtime_ns - manifest.clock.monotonic_ns : null;
    const start = manifest?.clock.monotonic_ns ?? 0n;
    const f = this.options.filter;
    const schemaVersion = manifest?.schema.version ?? this.schema.version;
    if (offset === null && (f.since?.kind === 'wall' || f.until?.kind === 'wall')) {
      // No clock (before the manifest, or a damaged one): a wall-clock bound cannot be checked, so nothing passes it.
      return { host, origin, clock, users, sinceMono: NEVER, untilMono: null, schemaVersion };
    }
    return { host, origin, clock, users, sinceMono: boundToMonotonic(f.since, offset, start), untilMono: boundToMonotonic(f.until, offset, start), schemaVersion };
  }

  clockForHost = (host: string): WallClock | null => this.clocks.get(host) ?? null;

  /**
   * The recorders' pids on a host (tree.ts's RecordersOf): null once any of its captures does not name its
   * recorder (an older build's, or a manifest that could not be read).
   */
  recordersOfHost = (host: string): ReadonlySet<number> | null => this.recorders.get(host) ?? null;

  private noteRecorder(host: string, manifest: Manifest | null): void {
    const pid = manifest?.capture.recorder_pid;
    const known = this.recorders.get(host);
    if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid <= 0) {
      this.recorders.set(host, null);
    } else if (known !== null) {
      this.recorders.set(host, new Set([...(known ?? []), pid]));
    }
  }

  /** A process table key's origin (hostname and capture), when the replay labels its inputs; else null. */
  originOfHost = (host: string): InputOrigin | null => this.origins.get(host) ?? null;

  /** Notes on captures claiming one boot id from several hosts or capture runs (hosts.ts). */
  hostNotes(): string[] {
    return sharedBootNotes(this.manifests);
  }

  /** An accepted record of kind `code` at `raw[offset]`. */
  accept(ctx: InputContext, code: number, raw: Uint8Array, offset: number, unavailable: readonly string[] | null = null): void {
    if (this.accepted < WARM_UP_AFTER && ++this.accepted === WARM_UP_AFTER) this.warmUp();
    const node: ProcessNode | null = this.table === null ? null : this.table.apply(ctx.host, code, raw, offset);
    const o = this.options;
    // Like the table, what network events teach is learnt from every event, before filters.
    const seen = unavailable === null && this.watchesNetwork && this.net.concerns(code, raw, offset) ? this.net.observe(ctx.host, code, raw, offset, node, o.alerts !== null) : null;
    const enrichment = seen === null ? null : seen.enrichment;
    const extra = enrichment === null ? null : enrichmentExtra(enrichment);
    if (o.filter.active && !o.filter.matches(code, raw, offset, node!, ctx.sinceMono, ctx.untilMono)) return;
    this.shown++;
    if (o.alerts === null) {
      // print's body, not a call: one hot function fewer for V8 to compile with TurboFan on its own (it was, besides inlined here).
      if (unavailable === null) o.sink.event(code, raw, offset, node, extra);
      else o.sink.translatedEvent(code, raw, offset, node, unavailable);
      return;
    }
    // A record rebuilt from another schema version: what its file did not record is unknown to rules, not empty.
    const alerts = o.alerts.evaluateRecord(code, raw, offset, node, ctx, ctx.schemaVersion, unavailable, seen === null ? null : seen.facts, enrichment?.dst_hostname);
    if (!o.alertsOnly || (o.withSourceEvents && alerts.length > 0)) this.print(code, raw, offset, node, unavailable, extra);
    if (alerts.length === 0) return;
    // Indexed, not for-of: for-of over the shared frozen empty list allocated an iterator and a result per event (90 MB of 1M events).
    // An alert of a merged replay says where its event came from, as the event does.
    for (let i = 0; i < alerts.length; i++) o.sink.alert(ctx.origin === null ? alerts[i] : { ...alerts[i], host: ctx.origin.host, capture: ctx.origin.capture });
    this.alertCount += alerts.length;
  }

  /** The event to the sink, as decoded by this build or rebuilt from its file's own schema. A method, not a closure per event. */
  private print(code: number, raw: Uint8Array, offset: number, node: ProcessNode | null, unavailable: readonly string[] | null, extra: EventExtra | null): void {
    if (unavailable === null) this.options.sink.event(code, raw, offset, node, extra);
    else this.options.sink.translatedEvent(code, raw, offset, node, unavailable);
  }

  /**
   * Runs a scratch session, with a sink of the same class that writes
   * nowhere, over a made-up DNS record: an event that network state enriches
   * (its `dns`), so accept, print and the sink's event have met an enrichment
   * before V8 optimises them. Why: the first enriched event (a connect to a
   * resolved name) came after that, with no type feedback for the enrichment:
   * three deopts (accept, print, the sink's event) and two more TurboFan
   * compiles on the replay's CPU (work capture, pinned). V8 gives a function
   * its feedback store only after a few calls, hence after WARM_UP_AFTER
   * records and in rounds. Nothing of the scratch session reaches this one:
   * its own process table, network state and counts, and a sink that drops
   * its bytes (the schema's shared writers are caches: output is unchanged).
   */
  private warmUp(): void {
    const sink = this.options.sink.discarding?.();
    const dns = this.schema.kinds.find((k) => k.net === 'dns');
    if (sink === undefined || dns === undefined) return;
    const scratch = new ReplaySession({ ...this.options, sink, alerts: null, alertsOnly: false, keepProcessHistory: false });
    scratch.accepted = WARM_UP_AFTER;
    const record = new Uint8Array(dns.layout.size);
    const view = new DataView(record.buffer);
    view.setUint16(VERSION_OFFSET, this.schema.version, true);
    view.setUint16(KIND_OFFSET, dns.id, true);
    view.setUint32(SIZE_OFFSET, dns.layout.size, true);
    view.setUint32(PID_OFFSET, 2, true);
    view.setUint32(TID_OFFSET, 2, true);
    const ctx = scratch.contextFor('warm-up', null);
    for (let round = 0; round < WARM_UP_ROUNDS; round++) scratch.accept(ctx, dns.id, record, 0);
  }

  /** The end of input: alerts only decided now (Sigma correlation windows still open). */
  finish(): void {
    const alerts = this.options.alerts?.finish() ?? [];
    for (const a of alerts) this.options.sink.alert(a);
    this.alertCount += alerts.length;
    // The inputs' replay flushed the sink already: without this, these alerts were counted but never written.
    if (alerts.length > 0) this.options.sink.flush();
  }

  /** A record the dispatcher rejected. */
  reject(code: number, raw: Uint8Array, offset: number, length: number, frameSeq: number, index: number): void {
    // A filtered or alerts-only view shows what was asked for; rejections stay counted for --stats and audit.
    if (this.options.alertsOnly || this.options.filter.active) return;
    this.options.sink.rejected({ reason: reasonOfCode(code), rawKind: rawKindOf(raw, offset, length), length, frameSeq, index });
  }
}
