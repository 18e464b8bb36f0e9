/**
 * The one error type capture setup throws: a single-line message a CLI can
 * print as is, and the documented exit code it should use.
 */
import { ExitCode } from '../common/exit-codes.js';

export const SetupExit = {
  /** Missing library, BTF or tracefs: the host cannot run captures as configured. */
  Unavailable: ExitCode.Unsupported,
  /** Our object or the kernel rejected something: a bug or an unsupported kernel. */
  Software: ExitCode.Internal,
  /** Not root and lacking CAP_BPF/CAP_PERFMON. */
  NoPermission: ExitCode.NoPrivilege,
} as const;
export type SetupExitCode = (typeof SetupExit)[keyof typeof SetupExit];

export class CaptureSetupError extends Error {
  override readonly name = 'CaptureSetupError';
  constructor(message: string, readonly exitCode: SetupExitCode = SetupExit.Software) {
    super(message);
  }
}
