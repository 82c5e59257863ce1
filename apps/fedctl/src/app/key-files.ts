import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  copyFileSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import {
  fingerprint,
  generateServerKeyPem,
  isAcceptableServerKey,
  parsePrivateKey,
} from '@pager/protocol';
import { UsageError } from './exit-codes';

/** The key files of a single-host server (the layout of `npm start`, docs/operations.md). */
export interface KeyFilePaths {
  privateKeyPath: string;
  previousKeyPath: string;
}

/** File name of the previous key beside the current one when PREVIOUS_KEY_PATH is unset. */
export const DEFAULT_PREVIOUS_KEY_FILE = 'server-key.previous.pem';

/**
 * Where the keys are: flags, then the services' variables (PRIVATE_KEY_PATH,
 * PREVIOUS_KEY_PATH, DATA_DIR), then `$DATA_DIR/server-key.pem` and
 * `$DATA_DIR/server-key.previous.pem` with DATA_DIR `./.data` (what `npm start` uses).
 * Throws UsageError when both name the same file.
 */
export function keyFilePaths(
  flags: { dataDir?: string; privateKeyPath?: string; previousKeyPath?: string },
  env: Record<string, string | undefined>,
): KeyFilePaths {
  const dataDir = resolve(flags.dataDir ?? (env.DATA_DIR || './.data'));
  const privateKeyPath = resolve(
    flags.privateKeyPath ?? (env.PRIVATE_KEY_PATH || join(dataDir, 'server-key.pem')),
  );
  const previousKeyPath = resolve(
    flags.previousKeyPath ?? (env.PREVIOUS_KEY_PATH || join(dataDir, DEFAULT_PREVIOUS_KEY_FILE)),
  );
  if (privateKeyPath === previousKeyPath)
    throw new UsageError(`the current and previous key paths are the same: ${privateKeyPath}`);
  return { privateKeyPath, previousKeyPath };
}

/**
 * Rotates the key files (docs/operations.md, "Key rotation on a single host"): the current
 * key becomes the previous one, a new RSA-2048 key becomes the current one. At every moment
 * each path holds a whole key (temporary files of mode 0600, fsync, rename into place), so a
 * service that reloads or restarts meanwhile reads either the old or the new state.
 * Throws UsageError, changing nothing, when the current key is missing or unusable, or a
 * previous key is already there (a rotation under way) and `replacePrevious` is false.
 * @returns the fingerprints before and after
 */
export function rotateKeyFiles(
  paths: KeyFilePaths,
  options: { replacePrevious: boolean },
): { oldFingerprint: string; newFingerprint: string } {
  const oldFingerprint = readKeyFingerprint(paths.privateKeyPath);
  if (existsSync(paths.previousKeyPath) && !options.replacePrevious) {
    throw new UsageError(
      `${paths.previousKeyPath} exists: a rotation is under way (remove it once the previous rotation is one announcement lifetime old, or pass --replace-previous)`,
    );
  }
  const { privateKeyPem } = generateServerKeyPem();
  const newTemporary = temporaryBeside(paths.privateKeyPath);
  const previousTemporary = temporaryBeside(paths.previousKeyPath);
  try {
    writePrivateFile(newTemporary, privateKeyPem);
    copyFileSync(paths.privateKeyPath, previousTemporary, constants.COPYFILE_EXCL);
    fsyncFile(previousTemporary);
    renameSync(previousTemporary, paths.previousKeyPath);
    renameSync(newTemporary, paths.privateKeyPath);
  } finally {
    for (const left of [newTemporary, previousTemporary]) {
      if (existsSync(left)) unlinkSync(left);
    }
  }
  return { oldFingerprint, newFingerprint: fingerprint(parsePrivateKey(privateKeyPem)) };
}

/** The fingerprint of the private key at `path`; UsageError if it is missing or unusable. */
export function readKeyFingerprint(path: string): string {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read the key ${path}: ${(err as Error).message}`);
  }
  let key;
  try {
    key = parsePrivateKey(pem);
  } catch {
    throw new UsageError(`${path} is not a PKCS#8 PEM private key`);
  }
  if (!isAcceptableServerKey(key))
    throw new UsageError(`${path} is not an RSA key of at least 2048 bits`);
  return fingerprint(key);
}

function temporaryBeside(path: string): string {
  return join(dirname(path), `.fedctl-key-${randomBytes(6).toString('hex')}.tmp`);
}

function writePrivateFile(path: string, text: string): void {
  const fd = openSync(path, 'wx', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function fsyncFile(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
