/**
 * What the report needs to know about each kind, from its registry entry
 * (src/abi/schema.ts): the process-table role, colour, path fields and
 * --events name; and, from its fields' views, the field with a program's
 * path (exec role), the remote address and its port, and other text fields.
 * Nothing here names a kind: a kind added to the registry is shown as it is.
 */
import { type KindLayout } from '../abi/schema.js';

export interface KindView {
  readonly kind: KindLayout;
  readonly index: number;
  readonly eventType: string;
  readonly role: KindLayout['process']['role'];
  /** CSS colour. */
  readonly color: string;
  /** Fields that hold paths (output keys). */
  readonly pathFields: readonly string[];
  /** Other text fields of the body (names, queries), for kinds without paths. */
  readonly textFields: readonly string[];
  /** exec role: the output key of the program's path (the kernel's), and of the path as the caller gave it. */
  readonly exeField: string | null;
  readonly exeAsPassedField: string | null;
  /** The address (view `addr`) an event is about, and the port beside it. */
  readonly addrField: string | null;
  readonly portField: string | null;
  /** The name in rg-capture --events and the manifest's `capture.events`. */
  readonly cliName: string;
  /** Its flags that say a string was cut or could not be read (`path_truncated`, `argv_unreadable`...). */
  readonly lossFlags: readonly string[];
  hasView(view: string): boolean;
}

/** The registry's text colours, as CSS that reads on white and on paper. */
const TEXT_COLORS: Readonly<Record<string, string>> = {
  green: '#1a7f37', cyan: '#0e7c86', gray: '#6e7781', blue: '#0969da', magenta: '#a0349a', yellow: '#9a6700', red: '#cf222e', white: '#57606a',
};
/** For colours the table above does not have (Okabe-Ito). */
const PALETTE = ['#0072b2', '#009e73', '#d55e00', '#cc79a7', '#e69f00', '#56b4e9'];

export function kindView(kind: KindLayout, index: number): KindView {
  const body = kind.schemaFields.slice(kind.schemaFields.length - kind.bodyFields.length);
  const key = (name: string) => body.find((f) => f.name === name)?.key ?? name;
  const strings = body.filter((f) => f.view === 'string').map((f) => key(f.name));
  const pathFields = kind.pathFields.map(key);
  const addrs = body.filter((f) => f.view === 'addr').map((f) => f.name);
  // A kind with a source and a destination address is about the destination.
  // (net_tcp_state and net_accept have `addr`, their own end, and `peer_addr`: the prefixed name wins.)
  const addrField = addrs.find((n) => /^(d|dst_|dest_|remote_|peer_)addr$/.test(n)) ?? addrs.find((n) => n === 'addr') ?? addrs[0] ?? null;
  const names = new Set(body.map((f) => f.name));
  const portGuess = addrField === null ? null : addrField.replace(/addr$/, 'port');
  const portField = portGuess !== null && names.has(portGuess) ? portGuess : names.has('port') ? 'port' : null;
  const views = new Set<string>(body.map((f) => f.view));
  return {
    kind, index, eventType: kind.eventType, role: kind.process.role, color: TEXT_COLORS[kind.color] ?? PALETTE[index % PALETTE.length],
    pathFields, textFields: strings.filter((n) => !pathFields.includes(n)),
    exeField: kind.process.role === 'exec' ? key(kind.process.exe) : null,
    exeAsPassedField: kind.process.role === 'exec' && kind.process.exeAsPassed !== undefined ? key(kind.process.exeAsPassed) : null,
    addrField, portField, cliName: kind.cliName, hasView: (view) => views.has(view),
    lossFlags: kind.flags.map((f) => f.outputName).filter((n) => /_(truncated|unreadable)$/.test(n)),
  };
}
