import { describe, expect, it } from 'vitest';
import {
  bitsText, bpfProgTypeName, capsHex, FLAG_NAMES, hexBytes, modeOctal, modeText, ptraceRequestName, signalName,
} from '../../src/abi/intrusion-values.js';

describe('meanings of the file and process kinds', () => {
  it('modes print as chmod takes them and as ls shows them, set-id and sticky bits included', () => {
    const cases: [number, string, string][] = [
      [0o4755, '4755', 'rwsr-xr-x'], [0o2750, '2750', 'rwxr-s---'], [0o1777, '1777', 'rwxrwxrwt'],
      [0o4644, '4644', 'rwSr--r--'], [0o1666, '1666', 'rw-rw-rwT'], [0o644, '0644', 'rw-r--r--'], [0, '0000', '---------'],
      [0o100755, '0755', 'rwxr-xr-x'], [0o6755, '6755', 'rwsr-sr-x'],
    ];
    for (const [mode, octal, text] of cases) expect([modeOctal(mode), modeText(mode)], mode.toString(8)).toEqual([octal, text]);
  });

  it('names ptrace requests and signals, and never drops a number it cannot name', () => {
    expect([0, 5, 16, 17, 0x4206].map(ptraceRequestName)).toEqual(['PTRACE_TRACEME', 'PTRACE_POKEDATA', 'PTRACE_ATTACH', 'PTRACE_DETACH', 'PTRACE_SEIZE']);
    expect(ptraceRequestName(0x4299)).toBe('PTRACE_0x4299');
    expect([0, 9, 15, 18, 19, 31, 34, 64, 65].map(signalName)).toEqual(['', 'SIGKILL', 'SIGTERM', 'SIGCONT', 'SIGSTOP', 'SIGSYS', 'SIGRTMIN+2', 'SIGRTMIN+32', 'SIG65']);
  });

  it('flag words: names in table order, an unnamed remainder in hex, 0 for none', () => {
    expect(bitsText(0x1002, FLAG_NAMES.mount)).toBe('MS_NOSUID|MS_BIND');
    expect(bitsText(0x200, FLAG_NAMES.at)).toBe('AT_REMOVEDIR');
    expect(bitsText(1 | 0x80000000, FLAG_NAMES.rename)).toBe('RENAME_NOREPLACE|0x80000000');
    expect(bitsText(0, FLAG_NAMES.memfd)).toBe('0');
    expect(bitsText(0o4000, FLAG_NAMES.module_delete)).toBe('O_NONBLOCK');
  });

  it('capability sets as /proc/PID/status prints them; BPF program types and tags', () => {
    expect(capsHex(0x1ffffffffffn)).toBe('000001ffffffffff');
    expect(capsHex(0n)).toBe('0000000000000000');
    expect([1, 26, 29, 99].map(bpfProgTypeName)).toEqual(['BPF_PROG_TYPE_SOCKET_FILTER', 'BPF_PROG_TYPE_TRACING', 'BPF_PROG_TYPE_LSM', 'BPF_PROG_TYPE_99']);
    expect(hexBytes(Uint8Array.from([0x59, 0xf4, 0, 0xff]))).toBe('59f400ff');
  });
});
