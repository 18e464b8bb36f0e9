/**
 * Flags added within a schema version (no layout changed) are never set by a
 * writer that did not define them: --stats and audit name them per capture,
 * from the manifest's flag constants, as the fields they print as; audit
 * calls such a schema different (exit 8), and a flag at another bit moved.
 */
import { describe, expect, it } from 'vitest';
import { describeSchema } from '../../src/abi/manifest-schema.js';
import { auditFlags, auditSchema } from '../../src/replay/schema-audit.js';
import { flagDisplayName, flagsNotWritten } from '../../src/replay/unwritten-flags.js';
import { runReplayCli } from '../support/golden.js';

const DEMO = 'captures/demo.rgc';

/** This build's manifest schema with its constants edited. */
function withConstants(edit: (c: Record<string, number>) => void) {
  const s = describeSchema();
  const constants = { ...s.constants };
  edit(constants);
  return { ...s, constants };
}

describe('flags a writer did not define', () => {
  it('are none for a manifest of this build, and each removed constant is named as it prints', () => {
    expect(auditFlags(describeSchema())).toEqual({ missingInFile: [], unknownToBuild: [], moved: [] });
    expect(auditSchema(describeSchema()).identical).toBe(true);
    const older = withConstants((c) => { delete c.EVENT_FLAG_DISPUTED; delete c.PATH_FLAG_FD_LATE; delete c.ADDR_FLAG_UNVERIFIED; });
    expect(auditFlags(older).missingInFile).toEqual(['EVENT_FLAG_DISPUTED', 'PATH_FLAG_FD_LATE', 'ADDR_FLAG_UNVERIFIED']);
    expect(flagsNotWritten(older)).toEqual(['open_flags_disputed', 'path_flags fd_late', 'addr_flags unverified']);
    const a = auditSchema(older);
    expect(a.identical).toBe(false);
    expect(a.kinds.every((k) => k.status === 'same')).toBe(true);
    expect(flagsNotWritten(null)).toEqual([]);
  });

  it('tell a flag at another bit, and one this build does not know, from a missing one', () => {
    const moved = withConstants((c) => { c.EVENT_FLAG_RESULT_UNSEEN = 1 << 9; c.EVENT_FLAG_SOMETHING_NEW = 1 << 9; });
    expect(auditFlags(moved)).toEqual({
      missingInFile: [], unknownToBuild: ['EVENT_FLAG_SOMETHING_NEW'], moved: [{ name: 'EVENT_FLAG_RESULT_UNSEEN', file: 512, build: 256 }],
    });
    expect(auditSchema(moved).identical).toBe(false);
  });

  it('name a header flag by every field it prints as', () => {
    expect(flagDisplayName('EVENT_FLAG_RESULT_UNSEEN')).toBe('result_unseen');
    expect(flagDisplayName('EVENT_FLAG_ARG2_TRUNCATED')).toBe('new_path_arg_truncated/source_arg_truncated');
    expect(flagDisplayName('PATH_FLAG_LEXICAL')).toBe('path_flags lexical');
  });

  it('are listed by --stats and audit for the shipped demo capture, written before five of them', () => {
    const expected = ['submission_unseen', 'result_unseen', 'open_flags_disputed', 'path_flags lexical', 'path_flags fd_late'];
    const stats = JSON.parse(runReplayCli([DEMO, '--stats', '--json']).stdout.toString()) as { files: { flags_not_written: string[] }[] };
    expect(stats.files[0].flags_not_written).toEqual(expected);
    const text = runReplayCli([DEMO, '--stats']).stdout.toString();
    expect(text).toContain(`flags:   ${DEMO} was written before 5 of this build's flags, which its records never set (a clear one there is unknown, not clear): ${expected.join(', ')}`);
    const audit = runReplayCli(['audit', DEMO]);
    expect(audit.status).toBe(8);
    const out = audit.stdout.toString();
    expect(out).toContain('schema: file version 2, this build 2: DIFFERENT (the same layouts; flags differ, below)');
    expect(out).toContain('EVENT_FLAG_DISPUTED (open_flags_disputed)');
    expect(out).toContain('PATH_FLAG_FD_LATE (path_flags fd_late)');
    // A capture written by this build (the synthetic fixtures are): nothing to say, and the same exit as before.
    const synthetic = JSON.parse(runReplayCli(['captures/synthetic-files-processes.rgc', '--stats', '--json']).stdout.toString()) as { files: { flags_not_written: string[] }[] };
    expect(synthetic.files[0].flags_not_written).toEqual([]);
    expect(runReplayCli(['audit', 'captures/synthetic-files-processes.rgc']).status).toBe(0);
  });
});
