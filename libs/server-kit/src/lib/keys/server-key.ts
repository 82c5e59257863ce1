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

/** One RSA key pair, parsed once: the private key, its public key (PEM) and fingerprint. */
export class KeyMaterial {
  readonly publicKey: KeyObject;
  readonly publicKeyPem: string;
  /** SHA-256 of the public key (DER SubjectPublicKeyInfo), 64 uppercase hex characters. */
  readonly fingerprint: string;

  constructor(readonly privateKey: KeyObject) {
    this.publicKey = createPublicKey(privateKey);
    this.publicKeyPem = publicKeyPem(this.publicKey);
    this.fingerprint = fingerprint(this.publicKey);
  }
}

/** What `GET /api/v1/keys` and the status pages show of the server key. */
export interface KeyState {
  /** Fingerprint of the key in use (PRIVATE_KEY_PATH). */
  fingerprint: string;
  /** Fingerprint of the key being rotated away from (PREVIOUS_KEY_PATH), or null. */
  previous_fingerprint: string | null;
}

/**
 * The previous key that counts: none when there is none or when it is the current key
 * (PREVIOUS_KEY_PATH naming the same key as PRIVATE_KEY_PATH is no rotation).
 */
export function effectivePrevious(
  current: KeyMaterial,
  previous: KeyMaterial | null,
): KeyMaterial | null {
  return previous !== null && previous.fingerprint !== current.fingerprint ? previous : null;
}

/** Called after the keys were replaced (a reload that changed them); may be async. */
export type KeyReplacedListener = (state: KeyState) => void | Promise<void>;

/**
 * This server's RSA key, shared by both services, with the key being rotated away from
 * (PREVIOUS_KEY_PATH, if any). `replace` swaps both at once (a reload, docs/operations.md
 * "Key rotation"): every reader sees either the old pair or the new one, never a mix, and
 * `sign` signs with the key it read first.
 */
export class ServerKey {
  private pair: { current: KeyMaterial; previous: KeyMaterial | null };
  private readonly listeners: KeyReplacedListener[] = [];
  /** When this process first held the present previous key (ms since the epoch), or null. */
  private previousSince: number | null;

  constructor(privateKey: KeyObject, previousPrivateKey: KeyObject | null = null) {
    const current = new KeyMaterial(privateKey);
    const previous = previousPrivateKey === null ? null : new KeyMaterial(previousPrivateKey);
    this.pair = { current, previous: effectivePrevious(current, previous) };
    this.previousSince = this.pair.previous === null ? null : Date.now();
  }

  /**
   * Since when (ms since the epoch) this process holds the present previous key: at start
   * or at the reload that brought it; null without one. A restart starts it again.
   */
  get previousSinceMs(): number | null {
    return this.previousSince;
  }

  get privateKey(): KeyObject {
    return this.pair.current.privateKey;
  }

  get publicKey(): KeyObject {
    return this.pair.current.publicKey;
  }

  get publicKeyPem(): string {
    return this.pair.current.publicKeyPem;
  }

  get fingerprint(): string {
    return this.pair.current.fingerprint;
  }

  /** The key being rotated away from, or null when no rotation is under way. */
  get previous(): KeyMaterial | null {
    return this.pair.previous;
  }

  state(): KeyState {
    return {
      fingerprint: this.pair.current.fingerprint,
      previous_fingerprint: this.pair.previous?.fingerprint ?? null,
    };
  }

  /** Signs on the libuv thread pool, so signing does not block the event loop. */
  sign<T extends object>(object: T): Promise<T & { signature: string }> {
    return signObjectAsync(object, this.pair.current.privateKey);
  }

  /**
   * Both keys as one consistent pair, for work that reads several members across an
   * `await` (the own announcement: public key, signature and rotation signature).
   */
  snapshot(): { current: KeyMaterial; previous: KeyMaterial | null } {
    return this.pair;
  }

  /**
   * Replaces both keys at once. Answers whether anything changed; when it did, the listeners
   * run (in order, each awaited; one that throws does not stop the others or the swap).
   * @returns `{ changed, state, errors }`: errors are the listeners' failures, as messages.
   */
  async replace(
    current: KeyMaterial,
    previous: KeyMaterial | null,
  ): Promise<{ changed: boolean; state: KeyState; errors: string[] }> {
    const before = this.state();
    this.pair = { current, previous: effectivePrevious(current, previous) };
    const state = this.state();
    if (state.previous_fingerprint !== before.previous_fingerprint) {
      this.previousSince = state.previous_fingerprint === null ? null : Date.now();
    }
    const changed =
      before.fingerprint !== state.fingerprint ||
      before.previous_fingerprint !== state.previous_fingerprint;
    const errors: string[] = [];
    if (changed) {
      for (const listener of this.listeners) {
        try {
          await listener(state);
        } catch (err) {
          errors.push((err as Error).message);
        }
      }
    }
    return { changed, state, errors };
  }

  /** Runs `listener` after each `replace` that changed the keys. */
  onReplaced(listener: KeyReplacedListener): void {
    this.listeners.push(listener);
  }
}

/** Where both services read their keys (PRIVATE_KEY_PATH, PREVIOUS_KEY_PATH). */
export interface KeyPaths {
  privateKeyPath: string;
  /** Unset: no rotation. A path whose file does not exist: no rotation either. */
  previousKeyPath?: string;
}

/**
 * Loads the key at `path`, or creates an RSA-2048 key there. Creation is atomic: the key
 * is written to a private temporary file and hard-linked into place, which fails if the
 * sibling service won the race — then we read the winner's key.
 */
export function loadOrCreateServerKey(path: string): ServerKey {
  return new ServerKey(loadOrCreateKeyMaterial(path).privateKey);
}

/**
 * The keys at start: the current key (created if missing, as loadOrCreateServerKey) and
 * the previous one if PREVIOUS_KEY_PATH names a readable key. Throws ConfigError (one line)
 * for a file that exists but cannot be read or is not an acceptable RSA key.
 */
export function loadServerKeys(paths: KeyPaths): ServerKey {
  const current = loadOrCreateKeyMaterial(paths.privateKeyPath);
  const previous = readPreviousKey(paths.previousKeyPath);
  return new ServerKey(current.privateKey, previous?.privateKey ?? null);
}

/**
 * The keys as the files now hold them, for a reload: the current key must exist (a reload
 * never creates one). Throws ConfigError naming the file and the reason.
 */
export function readServerKeys(paths: KeyPaths): {
  current: KeyMaterial;
  previous: KeyMaterial | null;
} {
  const pem = tryRead(paths.privateKeyPath, 'PRIVATE_KEY_PATH');
  if (pem === undefined) {
    throw new ConfigError(`PRIVATE_KEY_PATH ${paths.privateKeyPath} does not exist`);
  }
  return {
    current: fromPem(pem, paths.privateKeyPath, 'PRIVATE_KEY_PATH'),
    previous: readPreviousKey(paths.previousKeyPath),
  };
}

/**
 * Writes a new RSA-2048 key at `path` atomically with mode 0600 (temporary file, fsync,
 * hard link into place), failing with EEXIST if a file is already there.
 */
export function createKeyFile(path: string): KeyMaterial {
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
  } finally {
    unlinkSync(temporary);
  }
  return new KeyMaterial(parsePrivateKey(privateKeyPem));
}

function loadOrCreateKeyMaterial(path: string): KeyMaterial {
  const existing = tryRead(path, 'PRIVATE_KEY_PATH');
  if (existing !== undefined) return fromPem(existing, path, 'PRIVATE_KEY_PATH');
  try {
    createKeyFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return fromPem(readFileSync(path, 'utf8'), path, 'PRIVATE_KEY_PATH');
}

function readPreviousKey(path: string | undefined): KeyMaterial | null {
  if (path === undefined) return null;
  const pem = tryRead(path, 'PREVIOUS_KEY_PATH');
  return pem === undefined ? null : fromPem(pem, path, 'PREVIOUS_KEY_PATH');
}

function tryRead(path: string, variable: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(`${variable} ${path} cannot be read: ${(err as Error).message}`);
  }
}

function fromPem(pem: string, path: string, variable: string): KeyMaterial {
  let key: KeyObject;
  try {
    key = parsePrivateKey(pem);
  } catch {
    throw new ConfigError(`${variable} ${path} is not a PKCS#8 PEM private key`);
  }
  const material = new KeyMaterial(key);
  if (!isAcceptableServerKey(material.publicKey)) {
    throw new ConfigError(`${variable} ${path} must be an RSA key of at least 2048 bits, e=65537`);
  }
  return material;
}
