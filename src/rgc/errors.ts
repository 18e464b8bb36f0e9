/**
 * Bad input vs. our bug: a FormatError means the bytes are not a capture we
 * can read (and maps to a documented exit code); anything else is a bug.
 */
export type FormatProblem = 'not_rgc' | 'unsupported_version' | 'bad_manifest';

export class FormatError extends Error {
  /** `source`: the input the bytes came from, when known (its name then leads the message). */
  constructor(readonly problem: FormatProblem, message: string, readonly source: string | null = null) {
    super(message);
    this.name = 'FormatError';
  }

  /**
   * This error as read from `source` (a path; `-`: stdin): the message names
   * it in place of "rgc:", as other per-file lines do ("FILE: incomplete: ..."),
   * so that one bad file among a hundred inputs can be found. Named once.
   */
  from(source: string): FormatError {
    if (this.source !== null) return this;
    const name = source === '-' ? 'stdin' : source;
    return new FormatError(this.problem, `${name}: ${this.message.replace(/^rgc: /, '')}`, name);
  }
}
