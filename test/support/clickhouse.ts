/**
 * A throwaway ClickHouse server for tests: Debian's clickhouse-server (18.16),
 * a config of its own in a temp directory, 127.0.0.1 only, ports the kernel
 * picked free, started as whoever runs the tests (root in CI works), polled
 * on /ping for a bounded time, and stopped (SIGTERM, then SIGKILL) at the end.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CLICKHOUSE_SERVER = '/usr/bin/clickhouse-server';

export function clickhouseInstalled(): boolean {
  return existsSync(CLICKHOUSE_SERVER) || spawnSync('sh', ['-c', 'command -v clickhouse-server']).status === 0;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export class ClickHouse {
  private constructor(private readonly child: ChildProcess, readonly dir: string, readonly httpPort: number) {}

  static async start(startTimeoutMs = 60_000): Promise<ClickHouse> {
    const dir = mkdtempSync(join(tmpdir(), 'rg-clickhouse-'));
    const [http, tcp, interserver] = [await freePort(), await freePort(), await freePort()];
    writeFileSync(join(dir, 'config.xml'), `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>${dir}/server.log</log><errorlog>${dir}/error.log</errorlog><console>0</console></logger>
  <http_port>${http}</http_port>
  <tcp_port>${tcp}</tcp_port>
  <interserver_http_port>${interserver}</interserver_http_port>
  <listen_host>127.0.0.1</listen_host>
  <path>${dir}/data/</path>
  <tmp_path>${dir}/tmp/</tmp_path>
  <user_files_path>${dir}/user_files/</user_files_path>
  <format_schema_path>${dir}/format_schemas/</format_schema_path>
  <users_config>${dir}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mark_cache_size>104857600</mark_cache_size>
  <uncompressed_cache_size>104857600</uncompressed_cache_size>
</yandex>
`);
    writeFileSync(join(dir, 'users.xml'), `<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>2000000000</max_memory_usage></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default></default></quotas>
</yandex>
`);
    const server = existsSync(CLICKHOUSE_SERVER) ? CLICKHOUSE_SERVER : 'clickhouse-server';
    const child = spawn(server, [`--config-file=${dir}/config.xml`], { stdio: ['ignore', 'ignore', 'pipe'], detached: false });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    const ch = new ClickHouse(child, dir, http);
    const deadline = Date.now() + startTimeoutMs;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        const log = existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8').slice(-2000) : '';
        ch.cleanup();
        throw new Error(`clickhouse-server exited (${child.exitCode ?? child.signalCode}) during start: ${stderr.slice(-1000)} ${log}`);
      }
      try {
        const r = await fetch(`http://127.0.0.1:${http}/ping`, { signal: AbortSignal.timeout(2000) });
        if (r.ok) return ch;
      } catch { /* not up yet */ }
      if (Date.now() > deadline) {
        await ch.stop();
        throw new Error(`clickhouse-server did not answer /ping within ${startTimeoutMs} ms: ${stderr.slice(-1000)}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** Runs one statement over HTTP; returns the response body. */
  async query(sql: string, body?: string | Uint8Array): Promise<string> {
    const url = body === undefined ? `http://127.0.0.1:${this.httpPort}/` : `http://127.0.0.1:${this.httpPort}/?query=${encodeURIComponent(sql)}`;
    const payload = body === undefined ? sql : typeof body === 'string' ? body : new Blob([body as Uint8Array<ArrayBuffer>]);
    const r = await fetch(url, { method: 'POST', body: payload, signal: AbortSignal.timeout(120_000) });
    const text = await r.text();
    if (!r.ok) throw new Error(`clickhouse: ${text.slice(0, 500)}`);
    return text;
  }

  /** Rows of a SELECT, as objects (64-bit integers come back quoted, as strings). */
  async rows(sql: string): Promise<Record<string, unknown>[]> {
    const text = await this.query(`${sql} FORMAT JSONEachRow`);
    return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  async stop(): Promise<void> {
    const c = this.child;
    if (c.exitCode === null && c.signalCode === null) {
      const exited = new Promise<void>((r) => c.once('exit', () => r()));
      c.kill('SIGTERM');
      const timer = setTimeout(() => c.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    this.cleanup();
  }

  private cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
