import {
  MAX_ANNOUNCEMENTS_PER_ENVELOPE,
  generateServerKeyPem,
  parsePrivateKey,
} from '@pager/protocol';
import { TestServer, signedTestAnnouncement, signedTestGossip } from '@pager/testing';
import { Socket, connect } from 'node:net';

/**
 * Requests the services refuse (an envelope over the per-envelope announcement limit, a body
 * over the body limit, malformed JSON, a wrong content type), sent on a keep-alive
 * connection that has just served a request, are answered at once with their status and
 * `{ error, message }`; the connection then serves the next request or closes cleanly (FIN,
 * not a reset that throws the answer away). Once with Node's fetch (undici, its pooled
 * connection reused), once with a raw socket, with and without `Expect: 100-continue`.
 * A real daemon and adapter on 127.0.1.40.
 */
const HOST = '127.0.1.40';
const ANSWER_MS = 5_000;

interface Case {
  name: string;
  service: 'discovery' | 'adapter';
  path: string;
  contentType: string;
  body: () => Buffer;
  chunked?: boolean;
  status: number;
  error: string;
}

/** A signed gossip envelope carrying `count` copies of one signed announcement. */
function gossipEnvelope(count: number): Buffer {
  const key = generateServerKeyPem();
  const privateKey = parsePrivateKey(key.privateKeyPem);
  const announcement = signedTestAnnouncement(
    'ka-sender.example',
    { public_key: key.publicKeyPem, privateKey },
    {
      capabilities: { paging: true, ai_messaging: false, supported_versions: ['1.0'] },
      endpoints: {
        federation: 'http://127.0.1.41:4200/federation',
        discovery: 'http://127.0.1.41:4100/discovery',
      },
    },
  );
  const envelope = signedTestGossip(
    'ka-sender.example',
    { privateKey },
    Array.from({ length: count }, () => announcement),
  );
  return Buffer.from(JSON.stringify(envelope));
}

const padded = (bytes: number) => Buffer.from(JSON.stringify({ pad: 'x'.repeat(bytes) }));

const CASES: Case[] = [
  {
    name: `gossip envelope with ${MAX_ANNOUNCEMENTS_PER_ENVELOPE + 2} announcements`,
    service: 'discovery',
    path: '/discovery/gossip',
    contentType: 'application/json',
    body: () => gossipEnvelope(MAX_ANNOUNCEMENTS_PER_ENVELOPE + 2),
    status: 400,
    error: 'validation_failed',
  },
  {
    name: 'gossip body over 4 MiB',
    service: 'discovery',
    path: '/discovery/gossip',
    contentType: 'application/json',
    body: () => padded(5 * 1024 * 1024),
    status: 413,
    error: 'payload_too_large',
  },
  {
    name: 'gossip body over 4 MiB, chunked',
    service: 'discovery',
    path: '/discovery/gossip',
    contentType: 'application/json',
    body: () => padded(5 * 1024 * 1024),
    chunked: true,
    status: 413,
    error: 'payload_too_large',
  },
  {
    name: 'query body over 64 KiB',
    service: 'discovery',
    path: '/discovery/query',
    contentType: 'application/json',
    body: () => padded(1024 * 1024),
    status: 413,
    error: 'payload_too_large',
  },
  {
    name: 'federation message over 64 KiB',
    service: 'adapter',
    path: '/federation/messages',
    contentType: 'application/json',
    body: () => padded(2 * 1024 * 1024),
    status: 413,
    error: 'payload_too_large',
  },
  {
    name: 'malformed JSON',
    service: 'discovery',
    path: '/discovery/gossip',
    contentType: 'application/json',
    body: () => Buffer.from('{"version": "1.0", '),
    status: 400,
    error: 'invalid_json',
  },
  {
    name: 'malformed JSON on the federation endpoint',
    service: 'adapter',
    path: '/federation/messages',
    contentType: 'application/json',
    body: () => Buffer.from('{"type": '),
    status: 400,
    error: 'invalid_json',
  },
  {
    name: 'a form instead of JSON',
    service: 'discovery',
    path: '/discovery/gossip',
    contentType: 'application/x-www-form-urlencoded',
    body: () => Buffer.from('version=1.0&type=gossip'),
    status: 400,
    error: 'invalid_json',
  },
];

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * One raw HTTP/1.1 connection: writes bytes as given, parses answers framed by
 * Content-Length, and tells how the connection ended (FIN from the server, or a reset).
 */
class RawConnection {
  private buffer = Buffer.alloc(0);
  private waiting: ((answer: RawAnswer) => void) | undefined;
  private readonly answers: RawAnswer[] = [];
  /** `fin`: the server closed its side cleanly; `reset`: ECONNRESET / EPIPE. */
  readonly ended: Promise<'fin' | 'reset'>;
  private readonly socket: Socket;

  constructor(port: number) {
    this.socket = connect(port, HOST);
    let sawReset = false;
    this.socket.on('error', () => (sawReset = true));
    this.ended = new Promise((resolve) => {
      this.socket.on('end', () => {
        if (!sawReset) resolve('fin');
        this.socket.end();
      });
      this.socket.on('close', () => resolve(sawReset ? 'reset' : 'fin'));
    });
    this.socket.on('data', (chunk) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.parse();
    });
  }

  write(bytes: Buffer | string): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  /** The next answer, `100 Continue` included; rejects after `ms`. */
  next(ms = ANSWER_MS): Promise<RawAnswer> {
    const ready = this.answers.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      this.waiting = (answer) => {
        clearTimeout(timer);
        resolve(answer);
      };
      void this.ended.then(() => {
        clearTimeout(timer);
        reject(new Error('connection ended without an answer'));
      });
    });
  }

  destroy(): void {
    this.socket.destroy();
  }

  private parse(): void {
    for (;;) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const lines = this.buffer.subarray(0, end).toString('latin1').split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      const length = Number(headers['content-length'] ?? 0);
      if (this.buffer.length < end + 4 + length) return;
      const answer = {
        status: Number(lines[0].split(' ')[1]),
        headers,
        body: this.buffer.subarray(end + 4, end + 4 + length).toString('utf8'),
      };
      this.buffer = this.buffer.subarray(end + 4 + length);
      const waiting = this.waiting;
      this.waiting = undefined;
      if (waiting) waiting(answer);
      else this.answers.push(answer);
    }
  }
}

function requestHead(c: Case, body: Buffer, expectContinue: boolean): string {
  return (
    `POST ${c.path} HTTP/1.1\r\nHost: ${HOST}\r\nContent-Type: ${c.contentType}\r\n` +
    (expectContinue ? 'Expect: 100-continue\r\n' : '') +
    (c.chunked ? 'Transfer-Encoding: chunked\r\n\r\n' : `Content-Length: ${body.length}\r\n\r\n`)
  );
}

function framed(c: Case, body: Buffer): Buffer {
  if (!c.chunked) return body;
  return Buffer.concat([
    Buffer.from(`${body.length.toString(16)}\r\n`),
    body,
    Buffer.from('\r\n0\r\n\r\n'),
  ]);
}

const LIVE = `GET /health/live HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`;

function expectErrorShape(c: Case, status: number, text: string): void {
  expect({ case: c.name, status }).toEqual({ case: c.name, status: c.status });
  expect(JSON.parse(text)).toEqual({ error: c.error, message: expect.any(String) });
}

describe('refused requests on a reused keep-alive connection', () => {
  let server: TestServer;
  const bodies = new Map<string, Buffer>();
  const baseOf = (c: Case) =>
    c.service === 'discovery' ? server.discovery.baseUrl : server.adapter!.baseUrl;
  const portOf = (c: Case) => Number(new URL(baseOf(c)).port);

  beforeAll(async () => {
    server = new TestServer({ serverId: 'ka-refused', host: HOST });
    await server.dropSchemas();
    await server.start();
    for (const c of CASES) bodies.set(c.name, c.body());
  });

  afterAll(() => server?.stop());

  it.each(CASES.map((c) => [c.name, c] as const))(
    'fetch (undici, pooled connection): %s is answered at once, the next request too',
    async (_name, c) => {
      const warm = await fetch(`${baseOf(c)}/health/live`, {
        signal: AbortSignal.timeout(ANSWER_MS),
      });
      expect(warm.status).toBe(200);
      await warm.text();
      const body = bodies.get(c.name)!;
      const started = Date.now();
      const response = await fetch(`${baseOf(c)}${c.path}`, {
        method: 'POST',
        headers: { 'content-type': c.contentType },
        body: c.chunked
          ? new ReadableStream({
              start(controller) {
                controller.enqueue(body);
                controller.close();
              },
            })
          : body,
        ...(c.chunked ? { duplex: 'half' } : {}),
        signal: AbortSignal.timeout(ANSWER_MS),
      } as RequestInit);
      expectErrorShape(c, response.status, await response.text());
      expect(Date.now() - started).toBeLessThan(ANSWER_MS);
      const after = await fetch(`${baseOf(c)}/health/live`, {
        signal: AbortSignal.timeout(ANSWER_MS),
      });
      expect(after.status).toBe(200);
      await after.text();
    },
  );

  for (const expectContinue of [false, true]) {
    it.each(CASES.map((c) => [c.name, c] as const))(
      `raw socket${expectContinue ? ', Expect: 100-continue' : ''}: %s is answered, then the connection is reused or closed cleanly`,
      async (_name, c) => {
        const connection = new RawConnection(portOf(c));
        try {
          connection.write(LIVE);
          expect((await connection.next()).status).toBe(200);
          const body = bodies.get(c.name)!;
          connection.write(requestHead(c, body, expectContinue));
          let answer: RawAnswer;
          if (expectContinue) {
            answer = await connection.next();
            // A declared length over the limit is refused without 100 Continue.
            if (answer.status === 100) {
              connection.write(framed(c, body));
              answer = await connection.next();
            }
          } else {
            connection.write(framed(c, body));
            answer = await connection.next();
          }
          expectErrorShape(c, answer.status, answer.body);
          if (answer.headers['connection'] === 'close') {
            // A clean close: FIN after the answer, not a reset.
            await expect(connection.ended).resolves.toBe('fin');
          } else {
            connection.write(LIVE);
            expect((await connection.next()).status).toBe(200);
          }
        } finally {
          connection.destroy();
        }
      },
    );
  }
});
