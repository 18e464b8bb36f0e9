/**
 * A result's errno by name. The kernel's restart codes (512-516) show at
 * sys_exit when a signal interrupted a call the kernel then restarts (a
 * blocking connect under a signal): the process never sees them, so they are
 * named for what they are, not as an unknown E512.
 */
import { describe, expect, it } from 'vitest';
import { errnoName } from '../../src/abi/values.js';

describe('errno names', () => {
  it('names the usual errnos, the kernel\'s restart codes, and numbers it does not know as E<n>', () => {
    expect([2, 13, 111, 115].map(errnoName)).toEqual(['ENOENT', 'EACCES', 'ECONNREFUSED', 'EINPROGRESS']);
    expect([512, 513, 514, 516].map(errnoName)).toEqual(['ERESTARTSYS', 'ERESTARTNOINTR', 'ERESTARTNOHAND', 'ERESTART_RESTARTBLOCK']);
    expect([515, 4095].map(errnoName)).toEqual(['E515', 'E4095']);
  });
});
