/** One query's rows from a fresh in-memory DuckDB (one thread), as JSON-safe objects: how tests read an export back. */
import { DuckDBInstance } from '@duckdb/node-api';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type DuckRow = Record<string, any>;

export async function duckQuery(sql: string): Promise<DuckRow[]> {
  const db = await DuckDBInstance.create(':memory:', { threads: '1' });
  const conn = await db.connect();
  try {
    return (await conn.runAndReadAll(sql)).getRowObjectsJson() as DuckRow[];
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}
