/**
 * How `rg-capture -- CMD` starts CMD: a /bin/sh that waits on a pipe until
 * capture is ready, then execs CMD (src/capture/command.ts). Shared so replay
 * can name that shell, and its parent rg-capture, for what they are.
 */
export const START_GATE_SHELL = '/bin/sh';
export const START_GATE_SCRIPT = 'read -r _ <&3; exec 3<&-; exec "$@"';
/** $0 of the gate's script. */
export const START_GATE_NAME = 'rg-capture';

/** The gate's argv before CMD: an exec whose argv starts so is rg-capture's wrapper. */
export const START_GATE_ARGV: readonly string[] = [START_GATE_SHELL, '-c', START_GATE_SCRIPT, START_GATE_NAME];

export function isStartGate(argv: readonly string[] | null): boolean {
  return argv !== null && argv.length >= START_GATE_ARGV.length && START_GATE_ARGV.every((a, i) => argv[i] === a);
}
