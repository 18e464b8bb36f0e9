/**
 * What the report needs to know about each kind, read from the schema: its
 * role for the process table, a colour, its path fields and the name
 * rg-capture's --events uses. Where a kind entry does not (yet) carry one of
 * these, it is derived from the kind's fields and name, so a kind added to the
 * schema is shown without a change here.
 */
import { HEADER_FIELDS, type KindLayout } from '../abi/schema.js';

export interface KindView {
  readonly kind: KindLayout;
  readonly eventType: string;
  readonly role: string;
  readonly color: string;
  /** Body fields that hold paths (or other main subjects printed as text). */
  readonly pathFields: readonly string[];
  /** The name in rg-capture --events and the manifest's `capture.events`. */
  readonly cliName: string;
}

/** Roles of the kinds that predate role entries in the schema. */
const ROLES_BY_NAME: Readonly<Record<string, string>> = { process_exec: 'exec', process_fork: 'fork', process_exit: 'exit' };

/** Colours that read on white and in print, and tell a dozen kinds apart (Okabe-Ito, then Tableau). */
const PALETTE = ['#0072b2', '#009e73', '#d55e00', '#cc79a7', '#e69f00', '#56b4e9', '#7f7f7f', '#8c564b', '#bcbd22', '#17becf', '#9467bd', '#1f3a93'];
/** The terminal colours kinds use in text output, as CSS. */
const TERMINAL_COLORS: Readonly<Record<string, string>> = {
  green: '#1a7f37', cyan: '#0e7c86', gray: '#6e7781', grey: '#6e7781', blue: '#0969da', magenta: '#a0349a',
  red: '#cf222e', yellow: '#9a6700', white: '#57606a', black: '#24292f',
};
const DEFAULT_COLORS: Readonly<Record<string, string>> = {
  process_exec: TERMINAL_COLORS.green, process_fork: TERMINAL_COLORS.cyan, process_exit: TERMINAL_COLORS.gray,
  file_open: TERMINAL_COLORS.blue, net_connect: TERMINAL_COLORS.magenta,
};

const HEADER_NAMES = new Set(HEADER_FIELDS.map((f) => f.name));

/** Optional entries a kind may carry in the schema (the registry's); read defensively. */
interface KindExtras {
  readonly role?: unknown;
  readonly color?: unknown;
  readonly colour?: unknown;
  readonly pathFields?: unknown;
  readonly cliName?: unknown;
}

export function kindView(kind: KindLayout, index: number): KindView {
  const extra = kind as KindLayout & KindExtras;
  const role = typeof extra.role === 'string' ? extra.role : ROLES_BY_NAME[kind.name] ?? 'activity';
  const named = typeof extra.colour === 'string' ? extra.colour : typeof extra.color === 'string' ? extra.color : null;
  const color = (named !== null ? TERMINAL_COLORS[named.toLowerCase()] : undefined) ?? DEFAULT_COLORS[kind.name] ?? PALETTE[index % PALETTE.length];
  const pathFields = Array.isArray(extra.pathFields) && extra.pathFields.every((f) => typeof f === 'string')
    ? extra.pathFields as string[]
    : kind.fields.filter((f) => f.view === 'string' && !HEADER_NAMES.has(f.name)).map((f) => f.name);
  const cliName = typeof extra.cliName === 'string' ? extra.cliName : kind.name.slice(kind.name.lastIndexOf('_') + 1);
  return { kind, eventType: kind.eventType, role, color, pathFields, cliName };
}

export function isHeaderField(name: string): boolean {
  return HEADER_NAMES.has(name);
}
