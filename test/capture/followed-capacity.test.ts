/** FOLLOWED is sized by the loader: one place per pid the kernel can give when following, one otherwise. */
import { describe, expect, it } from 'vitest';
import { followedCapacity } from '../../src/capture/libbpf.js';

describe('followedCapacity', () => {
  it('is pid_max when following (tgids are below it: a full table cannot happen)', () => {
    expect(followedCapacity(true, () => '32768\n')).toBe(32768);
    expect(followedCapacity(true, () => '4194304\n')).toBe(4194304);
  });
  it('is 1 when not following (the table is never read)', () => {
    expect(followedCapacity(false, () => { throw new Error('not read'); })).toBe(1);
  });
  it('is PID_MAX_LIMIT when pid_max cannot be read or makes no sense', () => {
    expect(followedCapacity(true, () => { throw new Error('ENOENT'); })).toBe(4 * 1024 * 1024);
    expect(followedCapacity(true, () => 'x')).toBe(4 * 1024 * 1024);
    expect(followedCapacity(true, () => '99999999')).toBe(4 * 1024 * 1024);
  });
});
