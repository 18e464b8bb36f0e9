/**
 * Turns registry entries into a Schema: lays every kind out behind the common
 * header, resolves the names an entry refers to (flags, path fields, the
 * fields its process role reads) and checks everything a component will rely
 * on, so that a mistake in an entry fails when the schema is built, with a
 * message naming the kind, not as wrong output later.
 */
import { type FieldLayout, type StructLayout, layoutStruct } from './layout.js';
import { type HeaderFlag, type KindDefinition, type KindLayout, type NetRole, type Schema, type SchemaField } from './kind-types.js';
import { ADDR_LEN, ARRAY_LENGTHS } from './constants.js';
import { outputKeys } from './views.js';
import { FLAG_NAMES, NAME_TABLES } from './intrusion-values.js';

export interface SchemaBase {
  readonly version: number;
  readonly headerFields: readonly SchemaField[];
  readonly headerFlags: readonly HeaderFlag[];
}

/** Kind ids fit the dispatcher's 256-entry size table; 0 is never a kind. */
const MAX_KIND_ID = 255;

/** Scalar types each view can print (the NDJSON writer has a step for each). */
const VIEW_TYPES: Record<SchemaField['view'], readonly string[]> = {
  uint: ['u8', 'u16', 'u32', 'u64'], int: ['s32'], port: ['u16'], string: ['char'], unix_path: ['char'], argv: ['char'], open_flags: ['u32'], result: ['s32'],
  family: ['u16'], addr: ['bytes'], exit_status: ['u32'], path_flags: ['u16'], addr_flags: ['u16'], syscall: ['u16'], dev: ['u32'],
  enum: ['u8', 'u16', 'u32'], hidden: ['u8', 'u16', 'u32', 'u64', 's32', 's64', 'char', 'bytes'],
  mode: ['u32'], bits: ['u16', 'u32'], named: ['u16', 'u32'], signal: ['u32'], caps: ['u64'], hex: ['bytes'], status: ['u16', 'u32'],
};

/** The fields each network role reads (kind-types.ts, NetRole). */
export const NET_ROLE_FIELDS: Readonly<Record<NetRole, readonly string[]>> = {
  connect: ['addr', 'port', 'family', 'protocol', 'result'],
  udp_send: ['addr', 'port', 'family'],
  tcp_state: ['outcome', 'owner', 'peer_addr', 'family'],
  dns: ['direction', 'payload', 'payload_size', 'message_size', 'protocol', 'sock_cookie'],
  listen: ['addr', 'port', 'family', 'protocol', 'result'],
  bind: ['addr', 'port', 'family', 'protocol', 'result'],
  io_uring: [],
};

/** Tree order of counters: what the process became, what it did, then what it started. */
const COUNTER_RANK = { exec: 0, cred: 1, activity: 1, fork: 2, exit: 3 } as const;

export function defineSchema(definitions: readonly KindDefinition[], base: SchemaBase): Schema {
  checkHeaderFlags(base.headerFlags);
  unique(base.headerFields.map((f) => f.name), 'field of rg_event_header');
  const header = layoutStruct('rg_event_header', base.headerFields);
  checkFields('rg_event_header', header, base.headerFields);
  const kinds = definitions.map((d) => layoutKind(d, base));
  unique(kinds.map((k) => k.id), 'kind id');
  unique(kinds.map((k) => k.name), 'kind name');
  unique(kinds.map((k) => k.eventType), 'event_type');
  unique(kinds.map((k) => k.cliName), 'rg-capture --events name');
  unique(kinds.flatMap((k) => (k.counter ? [k.counter.key] : [])), 'tree counter');
  const byId: (KindLayout | undefined)[] = [];
  const sizes = new Uint32Array(MAX_KIND_ID + 1);
  for (const k of kinds) {
    byId[k.id] = k;
    sizes[k.id] = k.layout.size;
  }
  const counted = kinds.filter((k) => k.counter !== null)
    .sort((a, b) => COUNTER_RANK[a.process.role] - COUNTER_RANK[b.process.role] || a.id - b.id);
  return {
    version: base.version, header, headerFields: base.headerFields, headerFlags: base.headerFlags, kinds, byId, sizes, counted,
    definitions: [...definitions],
  };
}

/** `schema` with more kinds (same header, flags and version): how a test adds a kind at run time. */
export function extendSchema(schema: Schema, kinds: readonly KindDefinition[]): Schema {
  return defineSchema([...schema.definitions, ...kinds], schema);
}

function layoutKind(def: KindDefinition, base: SchemaBase): KindLayout {
  const bad = (what: string): never => { throw new Error(`abi: kind ${def.name} (${def.id}): ${what}`); };
  if (!Number.isInteger(def.id) || def.id < 1 || def.id > MAX_KIND_ID) bad(`id must be 1..${MAX_KIND_ID}`);
  if (!/^[a-z][a-z0-9_]*$/.test(def.name)) bad('name must be lower_snake_case (it names C identifiers)');
  if (!/^[a-z][a-z0-9_]*$/.test(def.eventType)) bad('eventType must be lower_snake_case');
  if (!/^[a-z][a-z0-9-]*$/.test(def.cliName)) bad('cliName must be lower case letters, digits and -');
  const schemaFields = [...base.headerFields, ...def.fields];
  unique(schemaFields.map((f) => f.name), `field of rg_${def.name}`);
  const layout = layoutStruct(`rg_${def.name}`, schemaFields);
  checkFields(layout.cName, layout, schemaFields);
  const field = (name: string, what: string): FieldLayout => layout.fields.find((f) => f.name === name) ?? bad(`${what} names no field ${name}`);
  const viewOf = (f: FieldLayout) => schemaFields[layout.fields.indexOf(f)].view;
  const expect = (name: string, what: string, view: SchemaField['view'], type?: string) => {
    const f = field(name, what);
    if (viewOf(f) !== view || (type !== undefined && f.type !== type)) bad(`${what} ${name} must be a ${type ?? ''} field with view ${view}`);
  };

  const flags = def.flags.map((spec) => {
    const flag = base.headerFlags.find((f) => f.name === spec.flag) ?? bad(`flag ${spec.flag} is not a header flag`);
    return { bit: 1 << flag.bit, outputName: spec.outputName };
  });
  const paths = def.pathFields.map((name) => {
    const f = field(name, 'pathFields');
    if (viewOf(f) !== 'string' && viewOf(f) !== 'unix_path') bad(`pathFields ${name} must be a field with view string or unix_path`);
    return f;
  });
  const role = def.process;
  if (role.role === 'exec') {
    expect(role.exe, 'process exe', 'string');
    expect(role.argv, 'process argv', 'argv');
    if (role.exeAsPassed !== undefined) expect(role.exeAsPassed, 'process exeAsPassed', 'string');
    if (role.cwd !== undefined) expect(role.cwd, 'process cwd', 'string');
    if (role.stdio !== undefined) {
      expect(role.stdio.stdinIno, 'process stdio', 'uint', 'u64');
      expect(role.stdio.stdoutIno, 'process stdio', 'uint', 'u64');
      expect(role.stdio.stdinType, 'process stdio', 'named', 'u16');
      expect(role.stdio.stdoutType, 'process stdio', 'named', 'u16');
    }
  }
  if (role.role === 'fork') expect(role.child, 'process child', 'uint', 'u32');
  if (role.role === 'cred' && role.euid !== undefined) expect(role.euid, 'process euid', 'uint', 'u32');
  if (role.role === 'cred' && role.egid !== undefined) expect(role.egid, 'process egid', 'uint', 'u32');
  if (def.writes !== undefined && def.writes !== 'always') expect(def.writes.openFlags, 'writes.openFlags', 'open_flags', 'u32');
  if (role.role === 'exit') {
    expect(role.status, 'process status', 'exit_status');
    if (field(role.start, 'process start').type !== 'u64') bad(`process start ${role.start} must be a u64 field`);
  }
  // An enum or number field small enough to pick an id by its value.
  const selector = (name: string, what: string) => {
    const f = field(name, what);
    if (!['u16', 'u32'].includes(f.type) || !['enum', 'uint'].includes(viewOf(f))) bad(`${what} ${name} must be a u16 or u32 enum or uint field`);
  };
  if (def.ecs?.childTidField !== undefined) field(def.ecs.childTidField, 'ecs childTidField');
  const o = def.ocsf;
  if (o !== undefined) {
    const target = typeof o.target === 'object' && 'pidField' in o.target ? o.target.pidField : undefined;
    const tried = typeof o.target === 'object' && 'attempted' in o.target ? o.target.attempted : undefined;
    const protocol = typeof o.dst?.protocol === 'string' ? o.dst.protocol : undefined;
    for (const name of [target, tried?.path, tried?.args, o.dst?.addr, o.dst?.port, o.dst?.family, protocol, o.local?.addr, o.local?.port, o.traffic?.bytesIn, o.traffic?.bytesOut]) {
      if (name !== undefined) field(name, 'ocsf');
    }
    if (typeof o.activity === 'object') selector(o.activity.field, 'ocsf activity field');
    if (typeof o.direction === 'object') selector(o.direction.field, 'ocsf direction field');
    if ((o.local !== undefined || o.direction !== undefined || o.traffic !== undefined) && o.dst === undefined) bad('ocsf local, direction and traffic need dst');
    if (o.dns !== undefined) {
      if (field(o.dns.payload, 'ocsf dns payload').type !== 'bytes') bad(`ocsf dns payload ${o.dns.payload} must be a bytes field`);
      for (const name of [o.dns.payloadSize, o.dns.protocol]) field(name, 'ocsf dns');
    }
    if (o.resultField !== undefined) expect(o.resultField, 'ocsf resultField', 'result');
    if (o.exitStatusField !== undefined) expect(o.exitStatusField, 'ocsf exitStatusField', 'exit_status');
    if (o.filePathField !== undefined) expect(o.filePathField, 'ocsf filePathField', 'string');
  }
  if (def.net !== undefined) for (const name of NET_ROLE_FIELDS[def.net]) field(name, `net role ${def.net}`);
  if (def.capture.programs.length === 0) bad('capture.programs is empty: no BPF program would record it');
  if (def.capture.canaryField !== undefined) expect(def.capture.canaryField, 'capture.canaryField', 'string');
  if (def.counter !== null && (!/^[a-z][a-z0-9_]*$/.test(def.counter.key) || def.counter.label === '')) bad('counter needs a lower_snake_case key and a label');
  if (def.sigma !== undefined) {
    const sg = def.sigma;
    if (!/^[a-z][a-z0-9_]*$/.test(sg.category)) bad('sigma.category must be a lower_snake_case Sigma category');
    for (const [sigmaName, name] of Object.entries(sg.fields ?? {})) {
      if (!/^[A-Z][A-Za-z0-9]*$/.test(sigmaName)) bad(`sigma field ${sigmaName} must be a Sigma (PascalCase) name`);
      if (viewOf(field(name, `sigma field ${sigmaName}`)) === 'hidden') bad(`sigma field ${sigmaName} names hidden field ${name}`);
    }
    for (const [sigmaName, fact] of Object.entries(sg.facts ?? {})) {
      if (!/^[A-Z][A-Za-z0-9]*$/.test(sigmaName)) bad(`sigma field ${sigmaName} must be a Sigma (PascalCase) name`);
      if (fact === '' || sg.fields?.[sigmaName] !== undefined) bad(`sigma fact ${sigmaName} needs a fact name and no field of the same Sigma name`);
    }
    if (sg.when !== undefined) selector(sg.when.field, 'sigma when');
    if (sg.writesOnly === true && !schemaFields.some((f) => f.view === 'result')) {
      bad('sigma.writesOnly needs a result field (and reads the open_flags field when the kind has one)');
    }
  }

  // Every key a line of this kind prints must be distinct: a collision would silently overwrite a value.
  const keys = ['event_type', 'time', ...schemaFields.flatMap(outputKeys), ...flags.map((f) => f.outputName)];
  const seen = new Set<string>();
  for (const k of keys) {
    if (seen.has(k)) bad(`output key ${k} appears twice (rename a field, set its key, or rename the flag)`);
    seen.add(k);
  }
  return {
    ...def, layout, bodyFields: layout.fields.slice(base.headerFields.length), schemaFields, flags, flagSpecs: def.flags, paths,
  };
}

/** Checks each field's view against its type, its related fields and its C array-length name. */
function checkFields(where: string, layout: StructLayout, fields: readonly SchemaField[]): void {
  fields.forEach((f, i) => {
    const bad = (what: string): never => { throw new Error(`abi: ${where}.${f.name}: ${what}`); };
    if (!VIEW_TYPES[f.view].includes(f.type)) bad(`view ${f.view} cannot print a ${f.type}`);
    const numberArray = f.type !== 'char' && f.type !== 'bytes' && layout.fields[i].count > 1;
    if (numberArray && f.view !== 'hidden') bad('an array of numbers can only be hidden');
    const sibling = (name: string | undefined, type: string, what: string) => {
      const s = fields.find((x) => x.name === name);
      if (s === undefined || s.type !== type) bad(`${what} must name a ${type} field of the same record`);
    };
    if (f.view === 'argv') sibling(f.sizeField, 'u32', 'sizeField');
    if (f.view === 'unix_path') {
      sibling(f.sizeField, 'u16', 'sizeField');
      sibling(f.abstractField, 'u16', 'abstractField');
    }
    if (f.view === 'enum' && (f.names === undefined || f.names.length === 0 || !f.names.every((n) => /^[a-z0-9_]*$/.test(n)))) bad('view enum needs names: lower_snake_case, one per value');
    if (f.view === 'addr') {
      sibling(f.familyField, 'u16', 'familyField');
      if (layout.fields[i].count !== ADDR_LEN) bad(`an address holds ADDR_LEN (${ADDR_LEN}) bytes`);
    }
    if (f.view === 'bits' && (f.table === undefined || !(f.table in FLAG_NAMES))) bad('view bits needs a table of FLAG_NAMES');
    if (f.view === 'named' && (f.nameTable === undefined || !(f.nameTable in NAME_TABLES))) bad('view named needs a nameTable of NAME_TABLES');
    if (f.view === 'status') {
      const bits = f.statusBits ?? [];
      const width = f.type === 'u16' ? 16 : 32;
      if (bits.length === 0) bad('view status needs statusBits');
      for (const b of bits) {
        if (!Number.isInteger(b.bit) || b.bit < 0 || b.bit >= width) bad(`status bit ${b.name}: bit ${b.bit} is outside the ${f.type}`);
        if (!/^[A-Z][A-Z0-9_]*$/.test(b.name)) bad(`status bit ${b.name}: name must be UPPER_SNAKE_CASE`);
      }
      unique(bits.map((b) => b.bit), `status bit of ${where}.${f.name}`);
    }
    if (f.countName !== undefined && ARRAY_LENGTHS[f.countName] !== layout.fields[i].count) {
      bad(`countName ${f.countName} is not ${layout.fields[i].count}`);
    }
  });
}

function checkHeaderFlags(flags: readonly HeaderFlag[]): void {
  for (const f of flags) {
    if (!Number.isInteger(f.bit) || f.bit < 0 || f.bit > 15) throw new Error(`abi: header flag ${f.name}: bit ${f.bit} is outside the u16 flags field`);
    if (!/^[A-Z][A-Z0-9_]*$/.test(f.name)) throw new Error(`abi: header flag ${f.name}: name must be UPPER_SNAKE_CASE`);
  }
  unique(flags.map((f) => f.name), 'header flag name');
  unique(flags.map((f) => f.bit), 'header flag bit');
}

function unique<T>(values: readonly T[], what: string): void {
  const seen = new Set<T>();
  for (const v of values) {
    if (seen.has(v)) throw new Error(`abi: ${what} ${String(v)} is used twice`);
    seen.add(v);
  }
}
