/**
 * Runs a CLI module in this process and, when it exits, writes its own CPU
 * time, wall time and peak RSS as JSON to fd 3. This measures exactly the
 * code the CLI runs, including start-up, without relying on GNU time.
 */
import { writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [moduleFile, ...args] = process.argv.slice(2);
const started = process.hrtime.bigint();
process.on('exit', (code) => {
  const usage = process.resourceUsage();
  const report = {
    exit_code: code,
    wall_ms: Number(process.hrtime.bigint() - started) / 1e6,
    cpu_ms: (usage.userCPUTime + usage.systemCPUTime) / 1000,
    user_ms: usage.userCPUTime / 1000,
    sys_ms: usage.systemCPUTime / 1000,
    max_rss_mb: usage.maxRSS / 1024,
  };
  writeSync(3, JSON.stringify(report));
});
process.argv = [process.argv[0], moduleFile, ...args];
await import(pathToFileURL(moduleFile).href);
