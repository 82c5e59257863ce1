import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import {
  PROTOCOL_VERSION,
  formatProtocolTimestamp,
  messageDigest,
  parsePrivateKey,
  signObject,
} from '@pager/protocol';

/** A node:http server answering with `handler`; the body is parsed JSON (or undefined). */
export async function startJsonServer(
  handler: (
    method: string,
    path: string,
    body: unknown,
  ) => { status: number; body?: unknown; headers?: Record<string, string> },
): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: unknown;
      try {
        body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
      } catch {
        body = undefined;
      }
      const answer = handler(req.method ?? 'GET', (req.url ?? '/').split('?')[0], body);
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface KnownServer {
  serverId: string;
  publicKeyPem: string;
  fingerprint: string;
  federationUrl: string;
}

/** A stand-in for the local discovery daemon: routes and reputation of a fixed set of servers. */
export function fakeDaemon(known: KnownServer[], blocked: Set<string> = new Set()) {
  const reports: unknown[] = [];
  const handler = (method: string, path: string, body: unknown) => {
    const route = /^\/api\/v1\/route\/([^/]+)$/.exec(path);
    if (method === 'POST' && route) {
      const domain = decodeURIComponent(route[1]);
      if (blocked.has(domain))
        return { status: 403, body: { error: 'blocked', message: 'blocked' } };
      const server = known.find((k) => k.serverId === domain);
      if (!server)
        return { status: 404, body: { error: 'domain_not_found', message: 'not found' } };
      return {
        status: 200,
        body: {
          domain,
          server_id: domain,
          endpoints: {
            federation: server.federationUrl,
            discovery: `${server.federationUrl}/../discovery`,
          },
          public_key: server.publicKeyPem,
          fingerprint: server.fingerprint,
          source: 'cache',
        },
      };
    }
    const reputation = /^\/api\/v1\/reputation\/([^/]+)$/.exec(path);
    if (method === 'GET' && reputation) {
      const id = decodeURIComponent(reputation[1]);
      return { status: 200, body: { server_id: id, score: 50, blocked: blocked.has(id) } };
    }
    if (method === 'POST' && path === '/api/v1/reputation/report') {
      reports.push(body);
      return { status: 201, body: {} };
    }
    return { status: 404, body: { error: 'not_found', message: path } };
  };
  return { handler, reports };
}

/**
 * A remote adapter that acks whatever it gets with `decide(message)`, signed with
 * `privateKeyPem` as `serverId`.
 */
export function fakeReceiver(
  serverId: string,
  privateKeyPem: string,
  decide: (message: Record<string, unknown>) => {
    status: number;
    ack?: 'delivered' | 'rejected';
    reason?: string;
    headers?: Record<string, string>;
  },
) {
  const key = parsePrivateKey(privateKeyPem);
  const received: Record<string, unknown>[] = [];
  const handler = (_method: string, _path: string, body: unknown) => {
    const message = body as Record<string, unknown>;
    received.push(message);
    const decision = decide(message);
    if (decision.ack === undefined)
      return {
        status: decision.status,
        body: { error: 'internal_error', message: 'x' },
        headers: decision.headers,
      };
    const ack = signObject(
      {
        version: PROTOCOL_VERSION,
        ack_type: 'message_received',
        message_id: message.message_id,
        message_digest: messageDigest(message),
        status: decision.ack,
        ...(decision.reason ? { reason: decision.reason } : {}),
        recipient_server: serverId,
        timestamp: formatProtocolTimestamp(Date.now()),
      },
      key,
    );
    return { status: decision.status, body: ack };
  };
  return { handler, received };
}
