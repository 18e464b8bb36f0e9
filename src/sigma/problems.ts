/**
 * Why a rule is not loaded. Each reason is one line; the kind says whose
 * matter it is: the rule is for other logs (`logsource`), it uses something
 * this engine or rand-guard's events cannot do faithfully (`unsupported`),
 * it breaks the specification (`invalid`), or its file could not be read
 * (`file`).
 */
export type ProblemKind = 'logsource' | 'unsupported' | 'invalid' | 'file';

export class RuleProblem extends Error {
  constructor(readonly kind: ProblemKind, message: string) {
    super(message);
    this.name = 'RuleProblem';
  }
  static logsource(message: string): RuleProblem { return new RuleProblem('logsource', message); }
  static unsupported(message: string): RuleProblem { return new RuleProblem('unsupported', message); }
  static invalid(message: string): RuleProblem { return new RuleProblem('invalid', message); }
}
