/** User and group names travel in the manifest so replay can name uids offline (Sigma's User field). */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostAccounts, readIdNames } from '../../src/capture/accounts.js';
import { decodeManifest, encodeManifest } from '../../src/rgc/manifest.js';
import { syntheticManifest } from '../support/synthetic.js';

describe('host accounts', () => {
  it('reads name and id from passwd and group lines, skipping malformed ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rg-accounts-'));
    writeFileSync(join(dir, 'passwd'), 'root:x:0:0:root:/root:/bin/bash\n# comment\nbroken\nalice:x:1000:1000::/home/alice:/bin/sh\nbad:x:-1:0::/:/bin/sh\nbig:x:99999999999:0::/:/bin/sh\n');
    writeFileSync(join(dir, 'group'), 'root:x:0:\nwheel:x:10:alice\n');
    expect(hostAccounts(join(dir, 'passwd'), join(dir, 'group'))).toEqual({ users: [[0, 'root'], [1000, 'alice']], groups: [[0, 'root'], [10, 'wheel']] });
    expect(readIdNames(join(dir, 'missing'))).toEqual([]);
  });

  it("this machine's /etc/passwd names root", () => {
    expect(readIdNames('/etc/passwd')).toContainEqual([0, 'root']);
  });

  it('the manifest carries them; older manifests without them still decode; a malformed table is left out', () => {
    const base = syntheticManifest();
    const withNames = { ...base, host: { ...base.host, users: [[0, 'root'], [1000, 'alice']] as [number, string][], groups: [[0, 'root']] as [number, string][] } };
    expect(decodeManifest(encodeManifest(withNames)).host.users).toEqual([[0, 'root'], [1000, 'alice']]);
    expect(decodeManifest(encodeManifest(base)).host.users).toBeUndefined();
    const bad = { ...base, host: { ...base.host, users: [[0, 'root'], ['x', 5]] } } as unknown as typeof base;
    const decoded = decodeManifest(encodeManifest(bad));
    expect(decoded.host.users).toBeUndefined();
    expect(decoded.host.hostname).toBe(base.host.hostname);
  });
});
