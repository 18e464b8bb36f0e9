/**
 * `ancestors.exe` and `ancestors.comm` for rules: does some ancestor of a
 * process, at any depth, have a program (or comm) that passes a test? The
 * traced host decides how deep its process tree is: a webshell that forks a
 * few hundred times before it runs `sh` must still be a descendant of nginx
 * to the rule that looks for one. (The rules used to read the nearest 256
 * ancestors, a bound on each event's cost, and such a shell went unseen.)
 *
 * Ancestors are who started whom: each process's creator, the process whose
 * fork the capture saw, or its parent when the fork was not seen. A daemon's
 * double fork (the middle process exits, the kernel hands the last one to
 * init or a subreaper) changes the parent a record names, not where the
 * process came from: a shell a webshell double-forks is still below nginx.
 * (`parent.*` is the parent now: the one the record's ppid names, when that
 * process is in the capture.)
 *
 * Each test's answer is kept on every process a walk passes, for "this
 * process or one above it passes": a walk stops at the first process with a
 * kept answer, so a chain of forks as deep as the host likes costs an event a
 * step or two, not its depth. The answers hold for one ancestry epoch, bumped
 * when a process with kept answers changes program or comm, or (its fork not
 * seen) moves to another parent: every kept answer is then found again when
 * next asked. A
 * process without a kept answer has none below it either (a walk that gave a
 * descendant its answer through it kept one on it too), so the usual
 * fork-then-exec and the exit of a leaf bump nothing.
 */
import { type ProcessNode } from './process-table.js';

/** Which value of each ancestor a test reads. */
export type AncestryField = 'exe' | 'comm';

/** A kept answer per test id: unknown (not asked in this epoch), no, yes. */
const UNKNOWN = 0;
const NO = 1;
const YES = 2;

/** Ancestors an Ancestry shows when printed. */
const SHOWN = 16;

let epoch = 1;
let nextTestId = 0;
/** The processes one walk passes (reused: a walk allocates nothing once it has grown). */
const walked: ProcessNode[] = [];

/** One test of an ancestor's value, with the id its answers are kept under. */
export class AncestorTest {
  readonly id = nextTestId++;

  constructor(readonly field: AncestryField, readonly test: (value: string) => boolean) {}
}

/**
 * The fact `ancestors.exe` (or `.comm`) of one process: read by the tests a
 * rule applies to it, never listed (a list as deep as the tree would cost
 * each event its depth).
 */
export class Ancestry {
  constructor(readonly node: ProcessNode, readonly field: AncestryField) {}

  /** True when some ancestor's value (unknown programs skipped) passes `t`. */
  some(t: AncestorTest): boolean {
    const up = lineageParent(this.node);
    return up !== null && passesAtOrAbove(up, t);
  }

  /** Shown (never tested) as the nearest values: a list as deep as the tree is not made for a line of text. */
  toString(): string {
    return this.nearest(SHOWN).join(' ');
  }

  toJSON(): string[] {
    return this.nearest(SHOWN);
  }

  /** The nearest `max` ancestors' values, nearest first (unknown programs skipped): for showing, not for rules. */
  nearest(max: number): string[] {
    const out: string[] = [];
    for (let p = lineageParent(this.node); p !== null && out.length < max; p = lineageParent(p)) {
      const v = valueOf(p, this.field);
      if (v !== null) out.push(v);
    }
    return out;
  }
}

/**
 * Called by the process table before `node` changes program or comm, or
 * moves to another parent (its lineage when it has no creator): the answers
 * kept for it and below it may no longer hold. Cheap when it has none (the
 * common case).
 */
export function ancestryWillChange(node: ProcessNode): void {
  if (node.ancestryEpoch === epoch) epoch++;
}

/** The next process up a lineage: the creator, or the parent when the fork was not seen. */
export function lineageParent(n: ProcessNode): ProcessNode | null {
  return n.creator ?? n.parent;
}

/**
 * The process that forked `n`, when the kernel has since given `n` to another parent (its starter's exit: a
 * daemon's double fork); null when its parent is the one that started it, or its fork was not seen.
 */
export function movedFrom(n: ProcessNode): ProcessNode | null {
  return n.creator !== null && n.creator !== n.parent ? n.creator : null;
}

function valueOf(n: ProcessNode, field: AncestryField): string | null {
  return field === 'exe' ? n.exe : n.comm;
}

/** Does `start` or a process above it pass `t`? Keeps the answer on each process walked. */
function passesAtOrAbove(start: ProcessNode, t: AncestorTest): boolean {
  const id = t.id;
  walked.length = 0;
  let answer = false;
  let n: ProcessNode | null = start;
  for (; n !== null; n = lineageParent(n)) {
    if (n.ancestryEpoch === epoch) {
      const kept = n.ancestry![id];
      if (kept !== undefined && kept !== UNKNOWN) {
        answer = kept === YES;
        break;
      }
    }
    walked.push(n);
    const v = valueOf(n, t.field);
    if (v !== null && t.test(v)) {
      answer = true;
      break;
    }
  }
  // Each process walked is the one that passed, or below it, or below one whose answer was kept: the same answer.
  for (let i = 0; i < walked.length; i++) keep(walked[i], id, answer);
  walked.length = 0;
  return answer;
}

function keep(n: ProcessNode, id: number, answer: boolean): void {
  let kept = n.ancestry;
  if (n.ancestryEpoch !== epoch || kept === null || kept.length <= id) {
    const size = Math.max(nextTestId, id + 1);
    const fresh = new Uint8Array(size);
    // Answers of this epoch stay; an older epoch's are dropped.
    if (kept !== null && n.ancestryEpoch === epoch) fresh.set(kept);
    n.ancestry = kept = fresh;
    n.ancestryEpoch = epoch;
  }
  kept[id] = answer ? YES : NO;
}
