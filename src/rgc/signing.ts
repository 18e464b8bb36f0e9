/** How a capture names its signing key: SHA-256 (hex) of the Ed25519 public key's SPKI DER. */
import { createHash, type KeyObject } from 'node:crypto';

export function publicKeySha256(key: KeyObject): string {
  return createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('hex');
}
