/**
 * What the report needs to know about each kind, read from the schema: its
 * process-table role, a colour, its path fields, the field holding a
 * program's path (exec role) or a remote address, and the name rg-capture's
 * --events uses. Where a kind entry does not carry one of these, it is
 * derived from the kind's fields, so a kind added to the schema is shown
 * without a change here.
 */
import { HEADER_FIELDS, type KindLayout } from '../abi/schema.js';

export interface KindView {
  readonly kind: KindLayout;
  readonly index: number;
  readonly eventType: string;
  readonly role: string;
  readonly color: string;
  /** Body fields that hold paths. */
  readonly pathFields: readonly string[];
  /** Other text fields of the body (names, queries), for kinds without paths. */
  readonly textFields: readonly string[];
  /** exec role: the field with the program's path. */
  readonly exeField: string | null;
  /** The address field (view `addr`) an event is about, and the port beside it. */
  readonly addrField: string | null;
  readonly portField: string | null;
  /** The name in rg-capture --events and the manifest's `capture.events`. */
  readonly cliName: string;
  hasView(view: string): boolean;
}

/** Colours that read on white and in print (Okabe-Ito, then Tableau), for kinds without one. */
const PALETTE = ['#0072b2', '#009e73', '#d55e00', '#cc79a7', '#e69f00', '#56b4e9', '#7f7f7f', '#8c564b', '#bcbd22', '#17becf', '#9467bd', '#1f3a93'];
/** The registry's text colours, as CSS that reads on white and on paper. */
const TEXT_COLORS: Readonly<Record<string, string>> = {
  green: '#1a7f37', cyan: '#0e7c86', gray: '#6e7781', grey: '#6e7781', blue: '#0969da', magenta: '#a0349a',
  red: '#cf222e', yellow: '#9a6700', white: '#57606a', black: '#24292f',
};

const HEADER_NAMES = new Set(HEADER_FIELDS.map((f) => f.name));

/**
 * What the schema's kind entries may say (the registry's fields), read
 * defensively so the report works with entries that lack some.
 */
interface KindExtras {
  readonly process?: { readonly role?: unknown; readonly exe?: unknown };
  readonly role?: unknown;
  readonly color?: unknown;
  readonly pathFields?: unknown;
  readonly cliName?: unknown;
}

/** Roles, before the registry said them: by the process table's own fields. */
function derivedRole(kind: KindLayout): string {
  const names = new Set(kind.fields.map((f) => f.name));
  if (kind.fields.some((f) => f.view === 'argv')) return 'exec';
  if (names.has('child_pid')) return 'fork';
  if (kind.fields.some((f) => f.view === 'exit_status')) return 'exit';
  return 'activity';
}

export function kindView(kind: KindLayout, index: number): KindView {
  const extra = kind as KindLayout & KindExtras;
  const role = typeof extra.process?.role === 'string' ? extra.process.role : typeof extra.role === 'string' ? extra.role : derivedRole(kind);
  const named = typeof extra.color === 'string' ? TEXT_COLORS[extra.color.toLowerCase()] : undefined;
  const body = kind.fields.filter((f) => !HEADER_NAMES.has(f.name));
  const strings = body.filter((f) => f.view === 'string').map((f) => f.name);
  const pathFields = Array.isArray(extra.pathFields) && extra.pathFields.every((f) => typeof f === 'string') ? extra.pathFields as string[] : strings;
  const exeField = role !== 'exec' ? null : typeof extra.process?.exe === 'string' ? extra.process.exe : pathFields[0] ?? strings[0] ?? null;
  const addrs = body.filter((f) => f.view === 'addr').map((f) => f.name);
  const addrField = addrs.find((n) => /^(d|dst_|dest_|remote_|peer_)?addr$/.test(n) && !/^(s|src_|local_)addr$/.test(n)) ?? addrs[0] ?? null;
  const names = new Set(body.map((f) => f.name));
  const portGuess = addrField === null ? null : addrField.replace(/addr$/, 'port');
  const portField = portGuess !== null && names.has(portGuess) ? portGuess : names.has('port') ? 'port' : null;
  const cliName = typeof extra.cliName === 'string' ? extra.cliName : kind.name.slice(kind.name.lastIndexOf('_') + 1);
  const views = new Set(body.map((f) => f.view as string));
  return {
    kind, index, eventType: kind.eventType, role, color: named ?? PALETTE[index % PALETTE.length],
    pathFields, textFields: strings.filter((n) => !pathFields.includes(n)), exeField, addrField, portField, cliName,
    hasView: (view) => views.has(view),
  };
}

export function isHeaderField(name: string): boolean {
  return HEADER_NAMES.has(name);
}
