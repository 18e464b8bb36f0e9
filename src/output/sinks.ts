/**
 * Where replayed events go: NDJSON, readable text, or nowhere (--stats).
 * Each sink receives accepted records as bytes and rejected ones as reasons.
 * The process an event belongs to is replay's business: a sink gets it as an
 * opaque value and a renderer that turns it into bytes or text.
 */
import { eventValues } from '../abi/event-values.js';
import { BUILD_SCHEMA, type Schema } from '../abi/schema.js';
import { keysDependingOn } from '../abi/views.js';
import { terminalSafeJson, textValue as textToken, visible } from '../common/visible.js';
import { ByteOutput } from './byte-output.js';
import { closeLine, NdjsonEncoder } from './ndjson.js';
import { type RejectedRecord, writeRejectedJson } from './rejected-json.js';
import { textValue } from './text.js';
import { TextLineEncoder } from './text-writers.js';
import { type WallClock } from './wall-clock.js';

/** Where the events that follow come from, as merged replay labels them (replay/hosts.ts renders it once per input). */
export interface OriginLabel {
  /** `,"host":…,"capture":…`, appended to an NDJSON event. */
  readonly json: Uint8Array;
  /** ` host=…`, appended to a text line. */
  readonly text: Uint8Array;
}

export { type RejectedRecord, writeRejectedJson } from './rejected-json.js';

/** How a sink shows the process `P` an event belongs to (replay renders it: context-json.ts). */
export interface ProcessRenderer<P> {
  /** `,"process":{...}`, appended to an NDJSON event. */
  json(process: P): Uint8Array;
  /** ` exe=... parent=...`, appended to a text line (as bytes: rendered once per process identity, like the JSON). */
  text(process: P): Uint8Array;
}

/**
 * What replay adds to an event from events before it (the name a connect's
 * address was resolved from, the decoded DNS messages): rendered by replay.
 */
export interface EventExtra {
  /** `,"key":value...`, appended to an NDJSON event before its process. */
  json(): Uint8Array;
  /** ` key=value...`, appended to a text line. */
  text(): string;
}

/** What a sink prints of an alert (replay's rules build it: rules/alerts.ts). */
export interface AlertLine {
  readonly rule_id: string;
  readonly severity: string;
  readonly title: string;
  /** ATT&CK technique ids of the rule, when it names any. */
  readonly attack?: readonly string[];
  readonly time: string | null;
  readonly process: { readonly pid: number; readonly exe: string | null };
  readonly path?: unknown;
  readonly filename?: unknown;
  readonly addr?: unknown;
  readonly port?: unknown;
  readonly dst_hostname?: unknown;
  readonly dns_names?: unknown;
  readonly old_path?: unknown;
  readonly new_path?: unknown;
  readonly target?: unknown;
  readonly target_pid?: unknown;
  readonly target_comm?: unknown;
  readonly name?: unknown;
  /** An undecided alert: the facts or fields whose values the capture cut, so the rule may have matched (replay/rules/alerts.ts). */
  readonly undecided?: readonly string[];
  /** Sigma rules an event left undecided, listed in one alert (replay/sigma/runner.ts undecidedAlert): each rule's title. */
  readonly rules?: readonly { readonly title: string }[];
  /** In a merged replay: the hostname and capture id of the alert's event (replay's session adds them). */
  readonly host?: string | null;
  readonly capture?: string | null;
}

/** What an alert is about, for its text line: a path, a rename or link, a program, DNS names, an address, a target process. */
export function alertObjectText(a: AlertLine): string {
  if (a.path !== undefined && a.path !== '') return String(a.path);
  if (a.new_path !== undefined) return `${String(a.old_path ?? a.target ?? '')} -> ${String(a.new_path)}`;
  if (a.target !== undefined && a.target !== '') return String(a.target); // a mount point
  if (a.filename !== undefined) return String(a.filename);
  const names = Array.isArray(a.dns_names) ? (a.dns_names as unknown[]).map(String) : [];
  if (names.length > 0) return names.join(',');
  const host = a.dst_hostname !== undefined ? ` (${String(a.dst_hostname)})` : '';
  if (a.addr !== undefined && a.port !== undefined) return `${String(a.addr)}:${String(a.port)}${host}`;
  if (a.target_pid !== undefined) return `target pid ${String(a.target_pid)}${a.target_comm ? ` (${String(a.target_comm)})` : ''}`;
  if (a.name !== undefined) return String(a.name);
  return '';
}

export interface EventSink<P> {
  /**
   * The records that follow read times by this clock (a new file, or another input of a merge) and, in a
   * merge of several captures, carry this origin (null: unlabelled).
   */
  begin(clock: WallClock | null, origin?: OriginLabel | null): void;
  /** An event; `process` is its process (null when the process table is off); `extra`, what earlier events tell about it. */
  event(kindId: number, bytes: Uint8Array, offset: number, process: P | null, extra?: EventExtra | null): void;
  rejected(r: RejectedRecord): void;
  alert(a: AlertLine): void;
  /** An event decoded by the file's own schema: `unavailable` fields are unknown, printed as null. */
  translatedEvent(kindId: number, bytes: Uint8Array, offset: number, process: P | null, unavailable: readonly string[]): void;
  flush(): void;
  /** A sink of the same class and settings whose output goes nowhere, for warm-ups (replay's session.ts); absent where there is none. */
  discarding?(): EventSink<P>;
  /**
   * How far through its input a sequential replay of a file is, at each data
   * frame: file bytes before the frame / the file's size. A sink may plan by
   * it (NDJSON: SchemaWriters.forecast); it changes no output.
   */
  progress?(fraction: number): void;
}

/** Display values with the values of unknown fields set to null, plus the list of what was unavailable. */
export function translatedValues(kindId: number, bytes: Uint8Array, offset: number, unavailable: readonly string[], clock: WallClock | null, schema: Schema = BUILD_SCHEMA): Record<string, unknown> {
  const { kind, values: display } = eventValues(kindId, bytes, offset, schema);
  const values = new Map<string, unknown>();
  for (const [key, value] of display) {
    values.set(key, value);
    if (key === 'ts_ns') values.set('time', clock !== null ? clock.format(BigInt(value as number | string)) : null);
  }
  for (const field of unavailable) {
    for (const key of keysDependingOn(kind, field)) if (values.has(key)) values.set(key, null);
  }
  values.set('schema_unavailable', [...unavailable]);
  return Object.fromEntries(values);
}

export class NdjsonSink<P> implements EventSink<P> {
  private readonly encoder: NdjsonEncoder;
  private clock: WallClock | null = null;
  private origin: OriginLabel | null = null;
  /** `processes` null: events are printed without their process (--no-context). */
  constructor(private readonly out: ByteOutput, private readonly processes: ProcessRenderer<P> | null, private readonly schema: Schema = BUILD_SCHEMA) {
    this.encoder = new NdjsonEncoder(null, schema);
  }
  begin(clock: WallClock | null, origin: OriginLabel | null = null): void {
    this.clock = clock;
    this.origin = origin;
    this.encoder.useClock(clock);
  }
  event(kindId: number, bytes: Uint8Array, offset: number, process: P | null, extra: EventExtra | null = null): void {
    const withProcess = process !== null && this.processes !== null;
    const origin = this.origin;
    if (!withProcess && extra === null && origin === null) {
      this.encoder.writeEvent(this.out, kindId, bytes, offset);
      return;
    }
    this.out.reserve();
    this.encoder.writeEventBody(this.out, kindId, bytes, offset);
    if (extra !== null) this.out.bytes(extra.json());
    if (withProcess) this.out.bytes(this.processes!.json(process!));
    // A merged replay's host and capture: one copy of bytes rendered once per input.
    if (origin !== null) this.out.bytes(origin.json);
    closeLine(this.out);
  }
  rejected(r: RejectedRecord): void {
    // A rejected record is evidence of its input too: merged, it names its host and capture.
    writeRejectedJson(this.out, r, this.origin?.json ?? null);
  }
  alert(a: AlertLine): void {
    this.out.reserve();
    this.out.bytes(Buffer.from(terminalSafeJson(a) + '\n'));
  }
  translatedEvent(kindId: number, bytes: Uint8Array, offset: number, process: P | null, unavailable: readonly string[]): void {
    const values = translatedValues(kindId, bytes, offset, unavailable, this.clock, this.schema);
    const context = (process !== null && this.processes !== null ? Buffer.from(this.processes.json(process)).toString() : '')
      + (this.origin === null ? '' : Buffer.from(this.origin.json).toString());
    const json = terminalSafeJson(values);
    this.out.reserve();
    this.out.bytes(Buffer.from(`${json.slice(0, -1)}${context}}\n`));
  }
  flush(): void { this.out.flush(); }
  discarding(): NdjsonSink<P> { return new NdjsonSink(discardedOutput(), this.processes, this.schema); }
  progress(fraction: number): void { this.encoder.forecast(fraction); }
}

/** A ByteOutput whose lines are dropped as they are written. */
function discardedOutput(): ByteOutput {
  return new ByteOutput(() => {}, 0);
}

export class TextSink<P> implements EventSink<P> {
  private clock: WallClock | null = null;
  private origin: OriginLabel | null = null;
  private readonly encoder: TextLineEncoder;
  constructor(private readonly out: ByteOutput, private readonly color: boolean, private readonly processes: ProcessRenderer<P> | null, private readonly schema: Schema = BUILD_SCHEMA) {
    this.encoder = new TextLineEncoder(color, schema);
  }
  begin(clock: WallClock | null, origin: OriginLabel | null = null): void {
    this.clock = clock;
    this.origin = origin;
    this.encoder.useClock(clock);
  }
  event(kindId: number, bytes: Uint8Array, offset: number, process: P | null, extra: EventExtra | null = null): void {
    const context = process !== null && this.processes !== null ? this.processes.text(process) : null;
    this.encoder.writeLine(this.out, kindId, bytes, offset, extra === null ? context : withExtraText(extra, context), this.origin?.text ?? null);
  }
  translatedEvent(kindId: number, bytes: Uint8Array, offset: number, _process: P | null, unavailable: readonly string[]): void {
    const values = translatedValues(kindId, bytes, offset, unavailable, this.clock, this.schema);
    const parts = Object.entries(values).filter(([k, v]) => k !== 'event_type' && v !== false && v !== '' && !(Array.isArray(v) && v.length === 0))
      .map(([k, v]) => (v === true ? k : `${k}=${v === null ? 'unknown' : textValue(v as never)}`));
    const origin = this.origin === null ? '' : Buffer.from(this.origin.text).toString();
    this.out.reserve();
    this.out.bytes(Buffer.from(`${String(values.event_type)} ${parts.join(' ')}${origin}\n`));
  }
  alert(a: AlertLine): void {
    this.out.reserve();
    const what = alertObjectText(a);
    const sev = this.color ? `\x1b[1;31m${a.severity.toUpperCase()}\x1b[0m` : a.severity.toUpperCase();
    const attack = a.attack !== undefined ? ` [${a.attack.join(',')}]` : '';
    // Titles come from rule files (Sigma's from anywhere), the rest from the traced host: control characters are shown, never sent.
    const exe = a.process.exe === null ? 'unknown' : textToken(a.process.exe);
    // A merged replay's alert names its host (a pid alone is ambiguous across hosts).
    const host = a.host === undefined ? '' : `host=${a.host === null ? 'unknown' : textToken(a.host)} `;
    // Undecided: the cut facts; for the Sigma rules an event left undecided, the first few titles (--json lists them all).
    const shown = a.rules === undefined ? [] : a.rules.slice(0, 3).map((r) => visible(String(r.title)));
    const undecided = a.rules !== undefined ? ` (${shown.join('; ')}${a.rules.length > 3 ? `; ${a.rules.length - 3} more` : ''})`
      : a.undecided !== undefined ? ` (undecided: ${a.undecided.map(visible).join(', ')} cut)` : '';
    const line = `${visible(a.rule_id)}${visible(attack)}: ${visible(a.title)}${undecided}: ${host}pid=${a.process.pid} exe=${exe} ${what === '' ? '' : textToken(String(what))}`;
    this.out.bytes(Buffer.from(`${a.time ?? '-'} ALERT ${sev} ${line}\n`));
  }
  rejected(r: RejectedRecord): void {
    const origin = this.origin === null ? '' : Buffer.from(this.origin.text).toString();
    this.out.reserve();
    this.out.bytes(Buffer.from(`invalid_record reason=${r.reason} kind=${r.rawKind} length=${r.length} frame=${r.frameSeq} index=${r.index}${origin}\n`));
  }
  flush(): void { this.out.flush(); }
  discarding(): TextSink<P> { return new TextSink(discardedOutput(), this.color, this.processes, this.schema); }
}

export class NullSink<P> implements EventSink<P> {
  begin(): void {}
  event(): void {}
  rejected(): void {}
  alert(): void {}
  translatedEvent(): void {}
  flush(): void {}
  discarding(): NullSink<P> { return new NullSink(); }
}

/** What replay tells about an event (already escaped text), then its process's context, as one text tail. */
function withExtraText(extra: EventExtra, context: Uint8Array | null): Uint8Array {
  const text = Buffer.from(extra.text());
  return context === null ? text : Buffer.concat([text, context]);
}
