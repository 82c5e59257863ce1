import { KeyObject } from 'node:crypto';
import type { RouteAnswer } from '@pager/internal-api';
import {
  fingerprint,
  isAcceptableServerKey,
  isValidServerId,
  parsePublicKey,
} from '@pager/protocol';

/** A key a peer's pin was moved away from by a rotation, and when (ms since the epoch). */
export interface PreviousKey {
  publicKey: KeyObject;
  fingerprint: string;
  rotatedAtMs: number;
}

/**
 * A destination as our daemon resolved it; `publicKey` is the key pinned for it, `previous`
 * the key the pin last moved away from (absent before any rotation).
 */
export interface Route {
  serverId: string;
  federationUrl: string;
  publicKey: KeyObject;
  fingerprint: string;
  previous?: PreviousKey;
}

export type RouteLookup =
  | { kind: 'found'; route: Route }
  /** `error`: `pin_pending` when the daemon knows the server but has not pinned its key yet. */
  | { kind: 'not_found'; error?: 'pin_pending' }
  | { kind: 'blocked' }
  | { kind: 'unavailable'; error: string };

/** Reads the daemon's `POST /api/v1/route/{domain}` answer; null if it is not usable. */
export function parseRouteBody(body: unknown, domain: string): Route | null {
  if (typeof body !== 'object' || body === null) return null;
  // Every member is checked below: the daemon's answer is typed, but read as untrusted.
  const b = body as { [K in keyof RouteAnswer]?: unknown };
  const endpoints = b.endpoints as Record<string, unknown> | undefined;
  const serverId = b.server_id;
  if (typeof serverId !== 'string' || !isValidServerId(serverId) || serverId !== domain)
    return null;
  if (
    typeof endpoints !== 'object' ||
    endpoints === null ||
    typeof endpoints.federation !== 'string'
  )
    return null;
  if (typeof b.public_key !== 'string') return null;
  let url: URL;
  let key: KeyObject;
  try {
    url = new URL(endpoints.federation);
    key = parsePublicKey(b.public_key);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  if (!isAcceptableServerKey(key)) return null;
  const fp = fingerprint(key);
  if (typeof b.fingerprint === 'string' && b.fingerprint !== fp) return null;
  const previous = parsePreviousKey(b.previous_key);
  return {
    serverId,
    federationUrl: endpoints.federation,
    publicKey: key,
    fingerprint: fp,
    ...(previous ? { previous } : {}),
  };
}

/** The route answer's `previous_key`; undefined when absent or not usable (it is optional). */
function parsePreviousKey(value: unknown): PreviousKey | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v['public_key'] !== 'string' || typeof v['rotated_at'] !== 'string') return undefined;
  const rotatedAtMs = Date.parse(v['rotated_at']);
  if (!Number.isFinite(rotatedAtMs)) return undefined;
  let key: KeyObject;
  try {
    key = parsePublicKey(v['public_key']);
  } catch {
    return undefined;
  }
  if (!isAcceptableServerKey(key)) return undefined;
  const fp = fingerprint(key);
  if (typeof v['fingerprint'] === 'string' && v['fingerprint'] !== fp) return undefined;
  return { publicKey: key, fingerprint: fp, rotatedAtMs };
}
