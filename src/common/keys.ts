/** Ed25519 keys from PEM files, for signing captures and verifying them, with one-line errors. */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CliError, ExitCode } from './exit-codes.js';

export function loadSigningKey(path: string): KeyObject {
  return loadKey(path, 'private', createPrivateKey, 'make one with: openssl genpkey -algorithm ed25519 -out key.pem');
}

export function loadPublicKey(path: string): KeyObject {
  return loadKey(path, 'public', createPublicKey, 'derive it with: openssl pkey -in key.pem -pubout -out pub.pem');
}

function loadKey(path: string, which: string, parse: (pem: Buffer) => KeyObject, hint: string): KeyObject {
  let pem: Buffer;
  try {
    pem = readFileSync(path);
  } catch {
    throw new CliError(`cannot read ${which} key ${path}`, ExitCode.Io);
  }
  try {
    const key = parse(pem);
    if (key.asymmetricKeyType !== 'ed25519') throw new Error('not ed25519');
    return key;
  } catch {
    throw new CliError(`${path} is not an Ed25519 ${which} key (PEM); ${hint}`, ExitCode.Usage);
  }
}
