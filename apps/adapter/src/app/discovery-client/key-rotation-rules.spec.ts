import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { fingerprint } from '@pager/protocol';
import { DEFAULT_KEY_ROTATION_GRACE_MS } from '../config/adapter-config';
import {
  ackKeysFor,
  ROTATION_RETRY_WINDOW_MS,
  afterKeyMismatch,
  isRotating,
  senderKeyFor,
  withinRotationGrace,
} from './key-rotation-rules';
import type { Route } from './route';

const GRACE = 600_000;
const NOW = Date.parse('2025-10-15T10:30:00Z');

function keyPair() {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    key: createPublicKey(publicKey.export({ type: 'spki', format: 'pem' })),
    fp: fingerprint(publicKey),
  };
}

const pinned = keyPair();
const old = keyPair();

function route(rotatedAtMs?: number): Route {
  return {
    serverId: 'c.example.com',
    federationUrl: 'https://c.example.com/federation',
    publicKey: pinned.key,
    fingerprint: pinned.fp,
    ...(rotatedAtMs === undefined
      ? {}
      : { previous: { publicKey: old.key, fingerprint: old.fp, rotatedAtMs } }),
  };
}

describe(withinRotationGrace.name, () => {
  it('accepts the previous key until the grace has passed since the pin moved', () => {
    expect(withinRotationGrace(NOW - GRACE + 1, NOW, GRACE)).toBe(true);
  });

  it('refuses it once the grace has passed', () => {
    expect(withinRotationGrace(NOW - GRACE, NOW, GRACE)).toBe(false);
  });

  it('refuses it always with a grace of 0', () => {
    expect(withinRotationGrace(NOW, NOW, 0)).toBe(false);
  });

  it('refuses it by default: the grace is an opt-in outside the protocol', () => {
    expect(DEFAULT_KEY_ROTATION_GRACE_MS).toBe(0);
    expect(withinRotationGrace(NOW, NOW, DEFAULT_KEY_ROTATION_GRACE_MS)).toBe(false);
  });
});

describe(senderKeyFor.name, () => {
  it('uses the pinned key for a message naming it', () => {
    expect(senderKeyFor(route(NOW), pinned.fp, NOW, GRACE)).toEqual({
      key: pinned.key,
      which: 'pinned',
    });
  });

  it('uses the key the pin moved away from within the grace', () => {
    expect(senderKeyFor(route(NOW - 1_000), old.fp, NOW, GRACE)).toEqual({
      key: old.key,
      which: 'previous',
    });
  });

  it('finds no key for the old fingerprint after the grace', () => {
    expect(senderKeyFor(route(NOW - GRACE - 1), old.fp, NOW, GRACE)).toBeNull();
  });

  it('finds no key for the old fingerprint by default, even right after the move', () => {
    expect(senderKeyFor(route(NOW), old.fp, NOW, DEFAULT_KEY_ROTATION_GRACE_MS)).toBeNull();
  });

  it('finds no key for a fingerprint that is neither', () => {
    expect(senderKeyFor(route(NOW), 'ab'.repeat(32), NOW, GRACE)).toBeNull();
  });

  it('finds no key for another fingerprint when the pin never rotated', () => {
    expect(senderKeyFor(route(), old.fp, NOW, GRACE)).toBeNull();
  });
});

describe(ackKeysFor.name, () => {
  it('tries the pinned key, then the previous one within the grace', () => {
    expect(ackKeysFor(route(NOW - 1_000), NOW, GRACE)).toEqual([pinned.key, old.key]);
  });

  it('tries only the pinned key after the grace', () => {
    expect(ackKeysFor(route(NOW - GRACE), NOW, GRACE)).toEqual([pinned.key]);
  });

  it('tries only the pinned key by default, even right after the move', () => {
    expect(ackKeysFor(route(NOW), NOW, DEFAULT_KEY_ROTATION_GRACE_MS)).toEqual([pinned.key]);
  });

  it('tries only the pinned key when the pin never rotated', () => {
    expect(ackKeysFor(route(), NOW, GRACE)).toEqual([pinned.key]);
  });
});

describe(afterKeyMismatch.name, () => {
  it('pushes the announcement and retries while we rotate and the page was never retried', () => {
    expect(afterKeyMismatch({ rotating: true, retriedBefore: false })).toBe('push_and_retry');
  });

  it('is final once the page had its one retry (in this attempt or an earlier one)', () => {
    expect(afterKeyMismatch({ rotating: true, retriedBefore: true })).toBe('refused');
  });

  it('takes key_mismatch as a final refusal when we are not rotating', () => {
    expect(afterKeyMismatch({ rotating: false, retriedBefore: false })).toBe('refused');
  });

  it('is final when not rotating, retried before or not', () => {
    expect(afterKeyMismatch({ rotating: false, retriedBefore: true })).toBe('refused');
  });
});

describe(isRotating.name, () => {
  const since = 1_000_000;

  it('is false without a previous key', () => {
    expect(isRotating(null, since)).toBe(false);
  });

  it('is true from the moment the previous key is held, for the announcement lifetime', () => {
    expect(isRotating(since, since)).toBe(true);
    expect(isRotating(since, since + ROTATION_RETRY_WINDOW_MS - 1)).toBe(true);
  });

  it('is false once the window is over, even with the previous key still held', () => {
    expect(isRotating(since, since + ROTATION_RETRY_WINDOW_MS)).toBe(false);
  });
});
