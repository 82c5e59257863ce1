import type { AxiosInstance } from 'axios';
import type { JsonClient } from '@pager/server-kit';

/** The axios instance for calls to other daemons (no redirects, bounded, never throws on status). */
export const PEER_HTTP = Symbol('PEER_HTTP');
export type PeerHttp = Pick<AxiosInstance, 'get' | 'post'>;

/**
 * The lean `node:http` JSON client (server-kit's `createJsonClient`) for gossip exchanges,
 * the hot daemon-to-daemon path: the same bounds as `PEER_HTTP` (10 s timeout, bodies up to
 * MAX_GOSSIP_BODY_BYTES, no redirects, addresses checked through the daemon's resolver at
 * connect time) without axios's per-request configuration merging.
 */
export const GOSSIP_HTTP = Symbol('GOSSIP_HTTP');
export type GossipHttp = JsonClient;

/** A one-line reason for a failed call to a peer. */
export function describeFailure(status: number, body: unknown): string {
  const error =
    typeof body === 'object' &&
    body !== null &&
    typeof (body as Record<string, unknown>)['error'] === 'string'
      ? ` ${(body as Record<string, unknown>)['error']}`
      : '';
  return `HTTP ${status}${error}`;
}

/** Joins a base URL (no trailing slash needed) and a path segment. */
export function joinUrl(base: string, path: string): string {
  return base.replace(/\/+$/, '') + path;
}
