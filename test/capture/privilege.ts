/**
 * Real-kernel tests need root (or CAP_BPF + CAP_PERFMON). Elsewhere they skip
 * with a visible reason; in CI (CI=true) they must run, so a CI machine that
 * cannot run them fails instead of silently skipping.
 */
import { hasBpfPrivileges } from '../../src/capture/kernel-checks.js';

export const inCI = process.env.CI === 'true';
export const privileged = hasBpfPrivileges();
export const runKernelTests = privileged || inCI;

export function announceSkip(suite: string): void {
  if (!runKernelTests) console.warn(`${suite}: SKIPPED, needs root or CAP_BPF + CAP_PERFMON (CI=true forces it to run)`);
}
