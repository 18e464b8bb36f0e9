/**
 * --stats and audit count the records whose paths the kernel did not make
 * whole (path flag lexical or truncated), by kind, and name the captures
 * written before the lexical flag existed, whose paths never carry it.
 */
import { describe, expect, it } from 'vitest';
import { EventKind, PATH_FLAG_DIR_CWD, PATH_FLAG_DIR_ROOT, PATH_FLAG_LEXICAL, PATH_FLAG_TRUNCATED } from '../../src/abi/constants.js';
import { type EventSink, NullSink } from '../../src/output/sinks.js';
import { PathFlagCounter, pathTallyLines } from '../../src/replay/path-tally.js';
import { type FileReport } from '../../src/replay/replay.js';
import { kindRecord } from '../support/intrusion-records.js';
import { runReplayCli } from '../support/golden.js';

const id = { ts: 1_000n, pid: 7, ppid: 1, comm: 'mv' };

describe('PathFlagCounter', () => {
  it('counts a record once however many of its paths are flagged, by kind, and passes every event on', () => {
    const seen: number[] = [];
    const inner: EventSink<null> = { begin() {}, event(k) { seen.push(k); }, rejected() {}, alert() {}, translatedEvent() {}, flush() {} };
    const c = new PathFlagCounter<null>(inner);
    const feed = (kind: number, fields: Record<string, number>) => { const r = kindRecord(kind, id, fields); c.event(kind, r, 0, null); };
    // mv job sw/cd/x: new name past a directory component
    feed(EventKind.FileRename, { old_path_flags: PATH_FLAG_DIR_CWD, new_path_flags: PATH_FLAG_DIR_CWD | PATH_FLAG_LEXICAL });
    // both names lexical: still one record
    feed(EventKind.FileRename, { old_path_flags: PATH_FLAG_DIR_CWD | PATH_FLAG_LEXICAL, new_path_flags: PATH_FLAG_DIR_ROOT | PATH_FLAG_LEXICAL | PATH_FLAG_TRUNCATED });
    feed(EventKind.FileDelete, { path_flags: PATH_FLAG_DIR_CWD }); // rm x: exact
    feed(EventKind.FileTruncate, { path_flags: PATH_FLAG_DIR_CWD | PATH_FLAG_LEXICAL });
    const t = c.tally([]);
    expect(t.lexical).toEqual({ file_rename: 2, file_truncate: 1 });
    expect(t.truncated).toEqual({ file_rename: 1 });
    expect(seen).toEqual([EventKind.FileRename, EventKind.FileRename, EventKind.FileDelete, EventKind.FileTruncate]);
    expect(pathTallyLines(t).join('\n')).toMatch(/3 record\(s\) with a path flagged lexical \(file_rename=2 file_truncate=1\)/);
  });

  it('names an input whose manifest does not name PATH_FLAG_LEXICAL (written before the flag)', () => {
    const c = new PathFlagCounter<null>(new NullSink());
    const file = (path: string, constants: Record<string, number>) => ({ path, manifest: { schema: { constants } } }) as unknown as FileReport;
    const t = c.tally([file('old.rgc', { PATH_FLAG_DIR_CWD: 2 }), file('new.rgc', { PATH_FLAG_LEXICAL: PATH_FLAG_LEXICAL })]);
    expect(t.lexical_unflagged_files).toEqual(['old.rgc']);
    expect(pathTallyLines(t)).toEqual([expect.stringContaining('old.rgc was written before path flag lexical')]);
  });
});

describe('--stats --json and audit --json carry the tally', () => {
  it('a synthetic capture of this build: no input written before the flag', () => {
    const s = JSON.parse(runReplayCli(['captures/synthetic-all-kinds.rgc', '--stats', '--json']).stdout.toString());
    expect(s.paths).toMatchObject({ lexical: {}, lexical_unflagged_files: [] });
    const a = JSON.parse(runReplayCli(['audit', 'captures/synthetic-all-kinds.rgc', '--json']).stdout.toString());
    expect(a.paths).toEqual(s.paths);
  });
});
