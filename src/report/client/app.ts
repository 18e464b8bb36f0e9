/** The page's shared state and the actions sections call on each other (select a process, show an event, filter). */
import { type ProcessItem, type ReportData } from '../model.js';
import { type Filters, type Rows } from './events.js';
import { type TimeFormat } from './format.js';

export interface App {
  readonly data: ReportData;
  readonly rows: Rows;
  /** The processes, expanded from their compact form. */
  readonly processes: readonly ProcessItem[];
  readonly time: TimeFormat;
  /** Children of each process, by index (the tree: where the kernel put them). */
  readonly children: readonly (readonly number[])[];
  /**
   * What each process started, by index: its children, and the processes it forked that the kernel has since
   * given to another parent (a daemon's double fork: model.ts lineageParent). "Descendants" are these, as
   * `rg-replay --pid P --tree` and the rules' ancestors.* count them.
   */
  readonly started: readonly (readonly number[])[];
  readonly filters: Filters;
  /** Row indices passing the filters. */
  visible: Int32Array;
  /** Selected process, or -1. */
  selected: number;
  /** Highlighted row, or -1. */
  highlighted: number;
  /** Re-runs the filters and redraws what depends on them. */
  refilter(): void;
  selectProcess(index: number, reveal: boolean): void;
  /** Scrolls the table to a row (clearing filters that hide it) and highlights it. */
  showEvent(row: number): void;
  /** Filters the table to a process (and its descendants). */
  filterToProcess(index: number, descendants: boolean): void;
  /** Called after filters change, by the section that owns each view. */
  readonly listeners: (() => void)[];
}

/** The process and everything it started, at any depth (App.started), as a mask over process indices. */
export function descendantMask(app: App, root: number): Uint8Array {
  const mask = new Uint8Array(app.processes.length);
  const stack = [root];
  while (stack.length > 0) {
    const i = stack.pop()!;
    if (mask[i] === 1) continue;
    mask[i] = 1;
    for (const c of app.started[i]) stack.push(c);
  }
  return mask;
}

export function processLabel(app: App, index: number): string {
  const p = app.processes[index];
  return p.exe ?? `[${p.comm}]`;
}

/** `1000 (alice)`: a user id with its name when the capture has it. */
export function userText(p: ProcessItem, uid: number): string {
  const name = p.userNames.find(([id]) => id === uid)?.[1];
  return name === undefined ? String(uid) : `${uid} (${name})`;
}
