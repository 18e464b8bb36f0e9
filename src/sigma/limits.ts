/**
 * Bounds on what a rule file may cost. A rule directory is input from
 * elsewhere (a download, a colleague's repository): a careless or hostile
 * file must end in a one-line reason, never a hang or an unbounded allocation.
 * SigmaHQ's largest rule file is ~300 KB (a list of driver hashes); its
 * deepest nesting is 5; its largest windash or base64offset expansion is 25.
 */
export const SIGMA_LIMITS = {
  /** Bytes in one rule file. */
  maxFileBytes: 1 << 20,
  /** Rule files read from the --sigma paths together. */
  maxFiles: 20_000,
  /** Bytes of all rule files together. */
  maxTotalBytes: 64 << 20,
  /** YAML documents in one file (`---` separated). */
  maxDocuments: 1_000,
  /** Nesting depth of maps and lists in one document. */
  maxDepth: 64,
  /**
   * Maps, lists and scalars in one document, after aliases are expanded.
   * The `yaml` parser takes ~20 us per node here, so this also bounds the
   * time one hostile file costs (about a second).
   */
  maxNodes: 50_000,
  /** YAML alias uses per document (the `yaml` package counts expanded nodes against it). */
  maxAliasCount: 100,
  /** Values one detection item may expand to (windash permutations, base64offset variants). */
  maxExpandedValues: 4_096,
  /** Characters in a condition expression. */
  maxConditionLength: 16_384,
  /** Characters in one regular expression. */
  maxRegexLength: 8_192,
  /** Groups one correlation rule tracks at once; the oldest is dropped (and counted) beyond it. */
  maxCorrelationGroups: 100_000,
  /** Timestamps or distinct values one correlation group keeps (a count past it already satisfies any sane threshold). */
  maxCorrelationEntries: 10_000,
} as const;
