/**
 * The shape of the kind registry: what one entry of the schema says about an
 * event kind (its record layout and everything each part of the tool needs to
 * know about it), and the schema object every component takes. The entries
 * themselves are in schema.ts; defineSchema (define-schema.ts) checks them and
 * derives the lookup tables.
 */
import { type FlagTable, type NameTable } from './intrusion-values.js';
import { type FieldLayout, type FieldSpec, type StructLayout } from './layout.js';

/**
 * How a field's value is read and presented. The schema says what a value
 * means; src/abi/values.ts turns each meaning into text and src/output prints it.
 */
export type FieldView =
  | 'uint' | 'int'
  | 'port'        // a TCP/UDP port (u16, host byte order), printed as a number: --port looks at these
  | 'string'      // NUL-terminated text
  | 'unix_path'   // a sockaddr_un's sun_path (unix-path.ts): `sizeField` bytes, `@` before an abstract name (`abstractField`)
  | 'argv'        // NUL-separated strings, length in the field named by `sizeField`
  | 'open_flags'  // O_* bits
  | 'result'      // >= 0 success value, < 0 is -errno (adds an `error` key)
  | 'family'      // AF_* number
  | 'addr'        // IPv4/IPv6 bytes, read with the field named by `familyField`; "" when USER_READ_FAILED
  | 'exit_status' // wait(2) status word (printed as `exit_code` and `signal`)
  | 'path_flags'  // PATH_FLAGS bits, printed as their names joined by | ("" for none)
  | 'addr_flags'  // ADDR_FLAGS bits, printed likewise
  | 'syscall'     // a SyscallCall id, printed as the syscall's name (syscalls.ts)
  | 'dev'         // a kernel dev_t (major << 20 | minor), printed "major:minor"
  | 'enum'        // a number printed as its name from `names` (the number itself, as text, past the list)
  | 'mode'        // file mode bits, printed as `4755` and `<key>_text` `rwsr-xr-x`
  | 'bits'        // a flag word, printed as names from `table` (`MS_NOSUID|MS_BIND`)
  | 'named'       // a number printed as its name from a sparse table `nameTable` (`PTRACE_ATTACH`, `PTRACE_SEIZE` = 0x4206)
  | 'signal'      // a signal number, and `<key>_name` (`SIGKILL`)
  | 'caps'        // a capability set (u64), in hex as /proc/PID/status prints it
  | 'hex'         // bytes in hex
  | 'status'      // the kind's own booleans: one key per bit of `statusBits`, no key of its own
  | 'hidden';     // carried in the record, not printed (lengths, reserved words)

/** A bit of a kind's `status` field: a boolean of that kind alone (the header's flags are shared by all kinds). */
export interface StatusBit {
  /** `<name>` in C (`#define CRED_OLD_UNKNOWN (1 << 0)`). */
  readonly name: string;
  readonly bit: number;
  /** The boolean's output key. */
  readonly key: string;
  readonly doc: string;
}

export interface SchemaField extends FieldSpec {
  readonly view: FieldView;
  /** Output key when it is not the field's name (`args` prints as `argv`). */
  readonly key?: string;
  /** view 'argv': the u32 field holding how many bytes of this buffer are used; view 'unix_path': the u16 field counting the bytes of sun_path in use. */
  readonly sizeField?: string;
  /** view 'unix_path': the u16 field that is nonzero for an abstract name (the buffer holds it without its leading NUL). */
  readonly abstractField?: string;
  /** view 'addr': the field holding the address family. */
  readonly familyField?: string;
  /** view 'enum': the name of each value, by value ('' where a value has none). */
  readonly names?: readonly string[];
  /** view 'bits': the flag table (src/abi/intrusion-values.ts FLAG_NAMES). */
  readonly table?: FlagTable;
  /** view 'named': the name table (NAME_TABLES). */
  readonly nameTable?: NameTable;
  /** view 'status': its bits. */
  readonly statusBits?: readonly StatusBit[];
}

/** A header flag bit: data, so the C header, the manifest and the checks all come from one list. */
export interface HeaderFlag {
  /** `EVENT_FLAG_<name>` in C. */
  readonly name: string;
  /** Bit number in the u16 `flags` header field. */
  readonly bit: number;
  readonly doc: string;
}

/** A header flag a kind can set, and the boolean it prints as for that kind. */
export interface KindFlagSpec {
  readonly flag: string;
  readonly outputName: string;
}

/** A kind's flag, resolved: `bit` is the mask (1 << HeaderFlag.bit). */
export interface KindFlag {
  readonly bit: number;
  readonly outputName: string;
}

/**
 * What an event does to the process table. Field names refer to the kind's own fields.
 * - exec: the process runs a new program (`exe` path, `argv` buffer): its identity changes.
 *   `exeAsPassed`, when set, is the path the caller gave: the exe when `exe` is empty (a capture
 *   of an older schema, which did not record the kernel's path). `cwd`, when set, is the working
 *   directory the kernel resolved a relative `exeAsPassed` against (rules join the two).
 * - fork: the process created `child` (a tgid): a new node, inheriting exe and argv.
 * - exit: the process ended (`status` wait word, `start` its start time).
 * - cred: the process changed credentials: its identity (uid, comm) is read again, and its
 *   effective ids from the fields `euid` and `egid` when it names them.
 * - activity: the process did something; its identity is unchanged (the context is not re-rendered).
 */
export type ProcessRole =
  | { readonly role: 'exec'; readonly exe: string; readonly argv: string; readonly exeAsPassed?: string; readonly cwd?: string; readonly stdio?: StdioFields }
  | { readonly role: 'fork'; readonly child: string }
  | { readonly role: 'exit'; readonly status: string; readonly start: string }
  | { readonly role: 'cred'; readonly euid?: string; readonly egid?: string }
  | { readonly role: 'activity' };

/**
 * What a network event tells replay beyond its own fields (replay/net): the
 * names a process resolved, where it connected and listened, its io_uring
 * use. Each role reads fields of fixed names (NET_ROLE_FIELDS), checked when
 * the schema is built.
 * - connect: a connection out begun (`addr`, `port`, `family`, `protocol`, `result`).
 * - udp_send: a datagram sent (`addr`, `port`, `family`).
 * - tcp_state: a TCP connection's change (`outcome`, `owner`, `peer_addr`, `family`).
 * - dns: a DNS message (`direction`, `payload`, `payload_size`, `message_size`, `protocol`, `sock_cookie`).
 * - listen, bind: a local address taken (`addr`, `port`, `family`, `protocol`, `result`).
 * - io_uring: a ring set up.
 */
export type NetRole = 'connect' | 'udp_send' | 'tcp_state' | 'dns' | 'listen' | 'bind' | 'io_uring';

/** How rg-capture records a kind. */
/** The exec fields that say what the new program's stdin and stdout are (inode numbers and file types): who it pipes with. */
export interface StdioFields {
  readonly stdinIno: string;
  readonly stdinType: string;
  readonly stdoutIno: string;
  readonly stdoutType: string;
}

export interface CaptureSpec {
  /** BPF programs (in bpf/) to attach so that the kind is recorded; a program may feed several kinds. */
  readonly programs: readonly string[];
  /** The syscalls (or kernel events) that feed it, for documentation and --help. */
  readonly syscalls: readonly string[];
  /**
   * rg-capture's readiness canary is a record of this kind, with its marker in
   * this (string) field: the kind's programs are then always attached.
   */
  readonly canaryField?: string;
  /**
   * Iterator programs (SEC("iter/task")) rg-capture runs once, after the
   * kind's programs are attached, to learn the state of what already runs
   * (each thread's credentials, for credential changes).
   */
  readonly iterators?: readonly string[];
}

/** Text-output colour of a kind's event_type (src/output/text.ts maps names to terminal codes). */
export type TextColor = 'green' | 'cyan' | 'gray' | 'blue' | 'magenta' | 'yellow' | 'red' | 'white';

/** A per-process count of a kind's events, in `rg-replay tree` (JSON key and text label). */
export interface KindCounter {
  readonly key: string;
  readonly label: string;
}

/**
 * How Sigma rules see a kind's events (docs/sigma.md): the log source
 * category, with the meanings Sysmon for Linux gives its fields, and which of
 * the kind's own fields give them. Process fields (Image, CommandLine, User,
 * ids, parent) come from the process table. A kind without one has no Sigma
 * log source.
 */
export interface SigmaSpec {
  /** Sigma log source category (process_creation, file_event, network_connection, ...). */
  readonly category: string;
  /** Only events that could have changed a file: a result >= 0, and write access when the kind has an open_flags field. */
  readonly writesOnly?: boolean;
  /** Sigma field -> the kind's field that gives it (as its view reads: text, number, address). */
  readonly fields?: Readonly<Record<string, string>>;
  /** Sigma fields with one value for every event of the kind (Initiated: true for a connect). */
  readonly constants?: Readonly<Record<string, string | number | boolean>>;
  /**
   * Sigma fields replay works out from earlier events rather than reads from
   * the record: Sigma field -> fact name (`dst_hostname`: the name the process
   * resolved the address from; `dns.names`: a DNS message's names). Null when
   * replay does not know it.
   */
  readonly facts?: Readonly<Record<string, string>>;
  /** Only events whose enum or number field has this value (a DNS query, not its response). */
  readonly when?: { readonly field: string; readonly equals: number };
}

/** An OCSF id by the value of an enum or number field of the record; a value not listed gives 0 (Unknown). */
export interface OcsfByField<T> {
  readonly field: string;
  readonly ids: Readonly<Record<number, T>>;
}

/** An activity_id, or 'connect_result': Open, Refuse (ECONNREFUSED) or Fail by the spec's `resultField`. */
export type OcsfActivity = number | 'connect_result';

/**
 * What a kind's record means in OCSF (src/export writes it): its class and
 * activity, and which of its fields play which OCSF part. Field names are the
 * kind's own. A kind without one is exported as OCSF Base Event.
 */
export interface OcsfSpec {
  /** class_uid: 1007 Process Activity, 1001 File System Activity, 4001 Network Activity, 4003 DNS Activity. */
  readonly classUid: number;
  /** activity_id, or 'connect_result': Open, Refuse (ECONNREFUSED) or Fail by the `resultField`; or either by a field's value. */
  readonly activity: OcsfActivity | OcsfByField<OcsfActivity>;
  /** A field holding >= 0 on success and -errno on failure: status_id and status_code. */
  readonly resultField?: string;
  /** Whose activity it is (`actor.process`): the recording process, or its parent (exec: the parent launched it). */
  readonly actor: 'self' | 'parent';
  /**
   * Process Activity: the target `process`: the recording process, the process a pid field names, or (a launch
   * that failed) the program the record says was attempted: its path and argv fields, in the recording process.
   */
  readonly target?: 'self' | { readonly pidField: string } | { readonly attempted: { readonly path: string; readonly args: string } };
  /** Process Activity: launch_type_id (2 Fork, 3 Exec). */
  readonly launchTypeId?: number;
  /** Process Activity: the wait(2) status word (exit_code). */
  readonly exitStatusField?: string;
  /** File System Activity: the file's path. */
  readonly filePathField?: string;
  /**
   * Network and DNS Activity: the remote end's address and port (for a bound
   * or listening socket, which has none: its own), the family, and the IP
   * protocol (a field, or the number every record of the kind has).
   */
  readonly dst?: { readonly addr: string; readonly port: string; readonly family: string; readonly protocol?: string | number };
  /** Network Activity: the socket's own address and port, when the record has them beside the remote end's. */
  readonly local?: { readonly addr: string; readonly port: string };
  /**
   * connection_info.direction_id: 2 Outbound (the default: the recording
   * host initiated; src_endpoint is the local end), 1 Inbound (the remote end
   * initiated: it is src_endpoint, the local end dst_endpoint), 0 Unknown.
   */
  readonly direction?: number | OcsfByField<number>;
  /** Network Activity: traffic.bytes_out and bytes_in. */
  readonly traffic?: { readonly bytesOut: string; readonly bytesIn: string };
  /**
   * DNS Activity: the field holding the message bytes (a prefix), the one
   * holding how many of them are set, and the IP protocol field (TCP: the
   * bytes are a piece of the stream, two-byte lengths before each message).
   * query, answers and rcode are decoded from them.
   */
  readonly dns?: { readonly payload: string; readonly payloadSize: string; readonly protocol: string };
}

/** One entry of the registry: everything a kind means, in one place. */
export interface KindDefinition {
  /** u16 in the record header; reserved ranges per issue (see docs). 1..255. */
  readonly id: number;
  /** Name in code and the C header (`struct rg_<name>`, `RG_KIND_<NAME>`). */
  readonly name: string;
  /** `event_type` in output (NDJSON, text, --kind, rules, stats). */
  readonly eventType: string;
  /** Name for `rg-capture --events`. */
  readonly cliName: string;
  readonly process: ProcessRole;
  /** Its role in replay's network state, for network kinds. */
  readonly net?: NetRole;
  readonly capture: CaptureSpec;
  /** Fields that hold paths: --path-prefix, rules and exports look at these. */
  readonly pathFields: readonly string[];
  /**
   * Does an event change a file (`rg-replay --writes`)? `always`, or when the
   * open_flags field it names asks for write access; absent: never.
   */
  readonly writes?: 'always' | { readonly openFlags: string };
  readonly color: TextColor;
  /** Its count per process in `tree`, or null when the tree shows it otherwise (exit status). */
  readonly counter: KindCounter | null;
  /** The kind's own fields, after the common header. */
  readonly fields: readonly SchemaField[];
  readonly flags: readonly KindFlagSpec[];
  /** Its Sigma log source, if it has one. */
  readonly sigma?: SigmaSpec;
  /** Its OCSF meaning, for `rg-replay export` (absent: exported as Base Event). */
  readonly ocsf?: OcsfSpec;
  /** Its ECS categorisation, for `rg-replay export --format ecs` (absent: from its OCSF class and activity). */
  readonly ecs?: EcsSpec;
}

/**
 * A kind's ECS event.category and event.type (a pair ECS allows: event.yml's expected_event_types), the type
 * by OCSF activity id or by the syscall its `call` field names when they differ (the first that names one).
 */
export interface EcsSpec {
  readonly category: string;
  readonly type: readonly string[];
  readonly typeByActivity?: Readonly<Record<number, readonly string[]>>;
  readonly typeByCall?: Readonly<Record<string, readonly string[]>>;
  /** A launch whose new process is the target: the field holding the new thread's id (its process.thread.id). */
  readonly childTidField?: string;
}

/** A kind with its layout computed and its field references resolved. */
export interface KindLayout extends Omit<KindDefinition, 'flags'> {
  /** The whole record: header then the kind's own fields. */
  readonly layout: StructLayout;
  /** Only the kind's own fields, offsets relative to the record start. */
  readonly bodyFields: readonly FieldLayout[];
  /** Header then own fields, each with its view (parallel to layout.fields). */
  readonly schemaFields: readonly SchemaField[];
  readonly flags: readonly KindFlag[];
  /** The definition's flags, by header flag name. */
  readonly flagSpecs: readonly KindFlagSpec[];
  /** pathFields, laid out. */
  readonly paths: readonly FieldLayout[];
}

/**
 * The schema object every component takes (default: the build's, BUILD_SCHEMA).
 * Tests build one with an extra kind (defineSchema) and run the real
 * components on it.
 */
export interface Schema {
  /** EVENT_SCHEMA_VERSION of this schema's records. */
  readonly version: number;
  readonly header: StructLayout;
  readonly headerFields: readonly SchemaField[];
  readonly headerFlags: readonly HeaderFlag[];
  /** In registry order (the order of stats, audit and the C header). */
  readonly kinds: readonly KindLayout[];
  /** Indexed by kind id; undefined for ids that are not kinds. */
  readonly byId: readonly (KindLayout | undefined)[];
  /** Record size by kind id (256 entries), 0 for unknown ids: the dispatcher's table. */
  readonly sizes: Uint32Array;
  /** Kinds that have a counter, in tree order: exec, then activity and credential changes, then fork (by id within each). */
  readonly counted: readonly KindLayout[];
  /** The entries this schema was defined from (extendSchema adds to them). */
  readonly definitions: readonly KindDefinition[];
}
