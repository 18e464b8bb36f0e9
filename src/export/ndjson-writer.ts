/** `export --format ocsf|ecs`: one JSON document per line (ECS: each after its _bulk action line), to stdout or a file. */
import { closeSync, openSync, rmSync } from 'node:fs';
import { CliError, ExitCode } from '../common/exit-codes.js';
import { writeAllSync } from '../common/fd-sink.js';
import { ByteOutput, MAX_LINE_BYTES } from '../output/byte-output.js';
import { type WallClock } from '../output/wall-clock.js';
import { type ProcessNode, type ProcessTable } from '../replay/process-table.js';
import { describeIoError } from '../replay/input.js';
import { type Alert } from '../replay/rules/alerts.js';
import { type ExportInput, type ExportWriter, type Provenance } from './driver.js';
import { bulkAction, ecsAlert, ecsEvent } from './ecs-json.js';
import { terminalSafeJsonText } from '../common/visible.js';
import { exactJson } from './exact-json.js';
import { eventFactsOf } from './event-facts.js';
import { ocsfEvent, ocsfFinding } from './ocsf-json.js';
import { ProcessIdentities } from './process-identity.js';
import { whyNotExportable } from './ocsf-table.js';
import { BUILD_SCHEMA } from '../abi/schema.js';

export class NdjsonExportWriter implements ExportWriter {
  readonly wantsDrain = false;
  table: ProcessTable | null = null;
  private readonly ids: ProcessIdentities;
  private readonly action: string;
  private lastNode: ProcessNode | null = null;

  /** `path`: the file this export created (null: stdout), removed if the export fails or is interrupted. */
  private constructor(private readonly format: 'ocsf' | 'ecs', private readonly out: ByteOutput, private readonly fd: number, private readonly path: string | null,
    clockFor: (host: string) => WallClock | null, index: string) {
    this.ids = new ProcessIdentities(clockFor);
    this.action = `${bulkAction(index)}\n`;
  }

  static open(format: 'ocsf' | 'ecs', path: string | null, clockFor: (host: string) => WallClock | null, index = 'logs-rand_guard.events-default'): NdjsonExportWriter {
    let fd = 1;
    if (path !== null && path !== '-') {
      try {
        fd = openSync(path, 'wx', 0o600);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new CliError(code === 'EEXIST' ? `${path} exists: choose a new file` : `cannot create ${path}: ${describeIoError(e)}`, ExitCode.Io);
      }
    }
    return new NdjsonExportWriter(format, new ByteOutput((b) => writeAllSync(fd, b), 256 << 10), fd, fd === 1 ? null : path, clockFor, index);
  }

  beginInput(input: ExportInput): void {
    this.ids.captureId = input.manifest?.segment.capture_id ?? input.sha256;
  }

  event(kindId: number, raw: Uint8Array, offset: number, node: ProcessNode, at: Provenance): void {
    this.lastNode = node;
    const facts = eventFactsOf(kindId, raw, offset, node, at, this.ids, (host, pid) => this.table?.lookup(host, pid));
    this.line(this.format === 'ocsf' ? ocsfEvent(facts) : ecsEvent(facts));
  }

  translatedEvent(kindId: number, raw: Uint8Array, offset: number, node: ProcessNode, at: Provenance, unavailable: readonly string[]): void {
    // The Parquet export's rule (ocsf-table.ts whyNotExportable), so every format exports the same records.
    const kind = BUILD_SCHEMA.byId[kindId]!;
    const why = whyNotExportable(kind, unavailable);
    if (why !== null) throw new CliError(`${at.input.path}: its ${kind.name} records are of an older schema and cannot be exported: ${why}, and the file does not record it (rg-replay FILE --json shows them)`, ExitCode.NotCapture);
    this.lastNode = node;
    const facts = eventFactsOf(kindId, raw, offset, node, at, this.ids, (host, pid) => this.table?.lookup(host, pid), unavailable);
    this.line(this.format === 'ocsf' ? ocsfEvent(facts) : ecsEvent(facts));
  }

  alert(a: Alert, at: Provenance): void {
    const timeNs = at.clock === null ? null : at.clock.realtimeNs(BigInt(a.source.ts_ns));
    const node = this.lastNode;
    const actor = node === null ? null : this.ids.facts(node);
    const parent = node?.parent == null ? null : this.ids.facts(node.parent);
    this.line(this.format === 'ocsf'
      ? ocsfFinding(a, at.input, at.frameSeq, at.recordIndex, timeNs, actor, parent)
      : ecsAlert(a, at.input, at.frameSeq, at.recordIndex, timeNs, actor, parent));
  }

  private line(doc: Record<string, unknown>): void {
    // Bidi, invisible and separator characters as JSON \u escapes, as replay's --json writes them: the same value for a
    // JSON reader, and NDJSON read on a terminal (`| head`) cannot be made to show another text.
    const json = terminalSafeJsonText(exactJson(doc));
    const text = this.format === 'ecs' ? `${this.action}${json}\n` : `${json}\n`;
    const bytes = Buffer.from(text);
    if (bytes.length > MAX_LINE_BYTES) {
      // Longer than the buffer guarantees room for (long argv, two process contexts): written on its own.
      this.out.flush();
      writeAllSync(this.fd, bytes);
      return;
    }
    this.out.reserve();
    this.out.bytes(bytes);
  }

  async drain(): Promise<void> {}

  async finish(): Promise<void> {
    this.out.flush();
    if (this.fd !== 1) closeSync(this.fd);
  }

  /**
   * A failed or interrupted export: the file it created is removed, not left
   * cut short (a reader could not tell it from a whole export). What went to
   * stdout has gone; the exit code says it is incomplete.
   */
  async abort(): Promise<void> {
    if (this.path === null) {
      try {
        this.out.flush();
      } catch { /* the failure itself (a closed pipe) */ }
      return;
    }
    closeSync(this.fd);
    rmSync(this.path, { force: true });
  }
}
