import { KeyObject, createPublicKey, randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import {
  fingerprint,
  generateServerKeyPem,
  isAcceptableServerKey,
  parsePrivateKey,
  publicKeyPem,
  signObjectAsync,
} from '@pager/protocol';
import { ConfigError } from '../config/env-reader';

/** This server's RSA key, parsed once; both services of a server share it. */
export class ServerKey {
  readonly publicKey: KeyObject;
  readonly publicKeyPem: string;
  readonly fingerprint: string;

  constructor(readonly privateKey: KeyObject) {
    this.publicKey = createPublicKey(privateKey);
    this.publicKeyPem = publicKeyPem(this.publicKey);
    this.fingerprint = fingerprint(this.publicKey);
  }

  /** Signs on the libuv thread pool, so signing does not block the event loop. */
  sign<T extends object>(object: T): Promise<T & { signature: string }> {
    return signObjectAsync(object, this.privateKey);
  }
}

/**
 * Loads the key at `path`, or creates an RSA-2048 key there. Creation is atomic: the key
 * is written to a private temporary file and hard-linked into place, which fails if the
 * sibling service won the race — then we read the winner's key.
 */
export function loadOrCreateServerKey(path: string): ServerKey {
  const existing = tryRead(path);
  if (existing !== undefined) return fromPem(existing, path);
  mkdirSync(dirname(path), { recursive: true, mode: 0o711 });
  const temporary = join(dirname(path), `.server-key-${randomBytes(6).toString('hex')}.tmp`);
  const { privateKeyPem } = generateServerKeyPem();
  const fd = openSync(temporary, 'wx', 0o600);
  try {
    writeSync(fd, privateKeyPem);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temporary, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    unlinkSync(temporary);
  }
  return fromPem(readFileSync(path, 'utf8'), path);
}

function tryRead(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(`PRIVATE_KEY_PATH ${path} cannot be read: ${(err as Error).message}`);
  }
}

function fromPem(pem: string, path: string): ServerKey {
  let key: KeyObject;
  try {
    key = parsePrivateKey(pem);
  } catch {
    throw new ConfigError(`PRIVATE_KEY_PATH ${path} is not a PKCS#8 PEM private key`);
  }
  const server = new ServerKey(key);
  if (!isAcceptableServerKey(server.publicKey)) {
    throw new ConfigError(
      `PRIVATE_KEY_PATH ${path} must be an RSA key of at least 2048 bits, e=65537`,
    );
  }
  return server;
}
