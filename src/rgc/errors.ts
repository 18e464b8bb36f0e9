/**
 * Bad input vs. our bug: a FormatError means the bytes are not a capture we
 * can read (and maps to a documented exit code); anything else is a bug.
 */
export type FormatProblem = 'not_rgc' | 'unsupported_version' | 'bad_manifest';

export class FormatError extends Error {
  constructor(readonly problem: FormatProblem, message: string) {
    super(message);
    this.name = 'FormatError';
  }
}
