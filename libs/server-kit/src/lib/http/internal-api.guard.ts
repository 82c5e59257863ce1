import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { ProtocolError } from '@pager/protocol';
import { timingSafeEqual, createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';

export const INTERNAL_API_PREFIX = '/api/v1';
/** Operator pages served under the internal API's access rule (SERVICES.md: the adapter's `GET /status`). */
export const INTERNAL_PAGES: readonly string[] = ['/status'];
/** Paths under the internal API's access rule, each with everything below it (`/status/actions`). */
export const INTERNAL_PATH_PREFIXES: readonly string[] = [INTERNAL_API_PREFIX, ...INTERNAL_PAGES];

/**
 * The internal API (`/api/v1/...`) is for the local pager tool and the sibling service.
 * With INTERNAL_API_TOKEN set every call needs `Authorization: Bearer <token>`; without
 * it only loopback connections are served (docs/api.md, Common to both services).
 */
@Injectable()
export class InternalApiGuard implements CanActivate {
  private readonly tokenDigest: Buffer | undefined;

  constructor(token: string | undefined) {
    this.tokenDigest = token === undefined ? undefined : sha256(token);
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const path = request.url.split('?')[0];
    if (!isInternalPath(path)) return true;
    if (this.tokenDigest !== undefined) {
      const header = request.headers.authorization ?? '';
      const match = /^Bearer (.+)$/.exec(header);
      // Compare digests so the comparison takes the same time whatever the length.
      if (match && timingSafeEqual(sha256(match[1]), this.tokenDigest)) return true;
      throw new ProtocolError('unauthorized', 'a valid bearer token is required');
    }
    if (isLoopback(request.socket.remoteAddress ?? '')) return true;
    throw new ProtocolError('unauthorized', 'the internal API is served to loopback clients only');
  }
}

/** Whether `path` (no query) falls under the internal access rule. */
export function isInternalPath(path: string): boolean {
  return INTERNAL_PATH_PREFIXES.some((prefix) => path === prefix || path.startsWith(prefix + '/'));
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

export function isLoopback(address: string): boolean {
  const plain = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (isIP(plain) === 4) return plain.startsWith('127.');
  return plain === '::1';
}
