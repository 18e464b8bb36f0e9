/**
 * DuckDB, loaded only when a command needs it. `@duckdb/node-api` is an
 * optional dependency (its native binary ships inside the npm package, ~70
 * MB): replay and every export (Parquet is written by src/export/parquet/)
 * run without it, and `sql`, the one command that needs it, says in one line
 * how to add it.
 */
import { CliError, ExitCode } from '../common/exit-codes.js';

export type DuckApi = typeof import('@duckdb/node-api');
export type DuckBindings = typeof import('@duckdb/node-bindings');
export type DuckConnection = import('@duckdb/node-api').DuckDBConnection;
export type DuckInstance = import('@duckdb/node-api').DuckDBInstance;

export const DUCKDB_MISSING = 'DuckDB is not installed (an optional dependency): run `npm install @duckdb/node-api` in the rand-guard directory, then retry';

export interface Duck {
  readonly api: DuckApi;
  readonly bindings: DuckBindings;
}

let loaded: Duck | null = null;

/** Loads DuckDB or throws a CliError (exit 3) saying how to install it. */
export async function loadDuckDB(): Promise<Duck> {
  if (loaded !== null) return loaded;
  try {
    const api = await import('@duckdb/node-api');
    const bindings = (await import('@duckdb/node-bindings')).default as unknown as DuckBindings;
    loaded = { api, bindings };
    return loaded;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new CliError(DUCKDB_MISSING, ExitCode.Io);
    }
    throw new CliError(`DuckDB failed to load: ${(e as Error).message}`, ExitCode.Io);
  }
}

/**
 * A DuckDB instance for one command: in memory, spilling to a temp directory
 * of its own beyond `memoryLimit`, never downloading extensions (parquet and
 * json are built into the package's binary).
 */
export async function openDuckDB(duck: Duck, tempDir: string, memoryLimit = process.env.RG_DUCKDB_MEMORY ?? '512MB', threads = 2): Promise<DuckInstance> {
  return duck.api.DuckDBInstance.create(':memory:', {
    threads: String(threads),
    memory_limit: memoryLimit,
    temp_directory: tempDir,
    autoinstall_known_extensions: 'false',
    enable_external_access: 'true',
  });
}

/** A SQL string literal. */
export function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/** A SQL identifier. */
export function sqlIdent(s: string): string {
  return `"${s.replaceAll('"', '""')}"`;
}

/** The C API connection behind a node-api connection (the bindings' appender and data chunk calls take it). */
export function rawConnection(conn: DuckConnection): unknown {
  return (conn as unknown as { connection: unknown }).connection;
}
