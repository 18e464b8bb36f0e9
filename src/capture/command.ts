/**
 * `rg-capture -- CMD ARGS...`: the command starts only once capture is ready.
 * A /bin/sh wrapper blocks on a pipe until released, so rg-capture knows the
 * pid (to follow it) before CMD runs a single instruction of its own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { type Writable } from 'node:stream';
import { START_GATE_NAME, START_GATE_SCRIPT, START_GATE_SHELL } from '../common/start-gate.js';

export interface HeldCommand {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Lets the command exec. */
  release(): void;
  /** Resolves with rg-capture's exit status for the command: its code, or 128 + signal number. */
  readonly exited: Promise<number>;
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGTERM: 15, SIGABRT: 6 };

/** `stdoutToStderr`: with `-o -` stdout carries the capture, so the command's output goes to stderr. */
export function spawnHeld(command: readonly string[], stdoutToStderr: boolean): Promise<HeldCommand> {
  return new Promise((resolve, reject) => {
    const child = spawn(START_GATE_SHELL, ['-c', START_GATE_SCRIPT, START_GATE_NAME, ...command], {
      stdio: ['inherit', stdoutToStderr ? process.stderr : 'inherit', 'inherit', 'pipe'],
    });
    child.once('error', (e) => reject(new Error(`cannot start ${command[0]}: ${e.message}`)));
    child.once('spawn', () => {
      const gate = child.stdio[3] as Writable;
      const exited = new Promise<number>((res) => {
        child.once('exit', (code, signal) => res(code ?? 128 + (signal ? SIGNALS[signal] ?? 1 : 1)));
      });
      resolve({
        child, pid: child.pid!, exited,
        release: () => { gate.end('\n'); },
      });
    });
  });
}
