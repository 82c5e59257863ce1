import type { AxiosInstance } from 'axios';

/** The axios instance for calls to other daemons (no redirects, bounded, never throws on status). */
export const PEER_HTTP = Symbol('PEER_HTTP');
export type PeerHttp = Pick<AxiosInstance, 'get' | 'post'>;

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
