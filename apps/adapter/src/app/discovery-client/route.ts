import { KeyObject } from 'node:crypto';
import type { RouteAnswer } from '@pager/internal-api';
import {
  fingerprint,
  isAcceptableServerKey,
  isValidServerId,
  parsePublicKey,
} from '@pager/protocol';

/** A destination as our daemon resolved it; `publicKey` is the key pinned for it. */
export interface Route {
  serverId: string;
  federationUrl: string;
  publicKey: KeyObject;
  fingerprint: string;
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
  return { serverId, federationUrl: endpoints.federation, publicKey: key, fingerprint: fp };
}
