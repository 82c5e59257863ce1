import { IncomingMessage, ServerResponse, createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { AdapterApiClient } from './adapter-api.client';
import { DiscoveryApiClient } from './discovery-api.client';
import {
  InternalApiBadAnswerError,
  InternalApiError,
  InternalApiUnreachableError,
  toErrorBody,
} from './errors';
import { InternalApiHttpClient } from './http-json-client';

/** A strict little service: records each request, answers what the test scripted. */
type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

describe(InternalApiHttpClient.name, () => {
  let server: Server;
  let base: string;
  let handler: Handler;
  const seen: { method: string; url: string; auth?: string; body: string; type?: string }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        seen.push({
          method: req.method!,
          url: req.url!,
          auth: req.headers.authorization,
          body,
          type: req.headers['content-type'],
        });
        handler(req, body, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });

  beforeEach(() => {
    seen.length = 0;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  function json(status: number, value: unknown): Handler {
    return (_req, _body, res) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
  }

  it('sends the bearer token and JSON body, and returns the parsed answer', async () => {
    handler = json(200, { server_id: 'b.example', reason: 'spam', created_at: 'x' });
    const client = new DiscoveryApiClient({ baseUrl: base, token: 's3cret' });
    const entry = await client.block('b.example', 'spam <b>');
    expect(entry.server_id).toBe('b.example');
    expect(seen).toEqual([
      {
        method: 'PUT',
        url: '/api/v1/blocklist/b.example',
        auth: 'Bearer s3cret',
        body: '{"reason":"spam <b>"}',
        type: 'application/json',
      },
    ]);
  });

  it('sends no authorization header without a token, and no body on a GET', async () => {
    handler = json(200, { blocked: [] });
    await new DiscoveryApiClient({ baseUrl: base }).blocklist();
    expect(seen[0]).toMatchObject({ method: 'GET', auth: undefined, body: '', type: undefined });
  });

  it('URL-encodes ids in paths and query values', async () => {
    handler = json(200, { destinations: [] });
    const adapter = new AdapterApiClient({ baseUrl: base });
    await adapter.destinations('backing_off');
    handler = json(202, {});
    await adapter.retry('a/../b?c');
    expect(seen.map((s) => s.url)).toEqual([
      '/api/v1/destinations?state=backing_off',
      '/api/v1/destinations/a%2F..%2Fb%3Fc/retry',
    ]);
  });

  it('returns undefined for 204 without a body', async () => {
    handler = (_req, _body, res) => {
      res.writeHead(204);
      res.end();
    };
    await expect(new DiscoveryApiClient({ baseUrl: base }).unblock('b')).resolves.toBeUndefined();
  });

  it('throws InternalApiError carrying the status and the { error, message } body', async () => {
    handler = json(404, { error: 'domain_not_found', message: 'nobody knows x.example' });
    const failure = await new DiscoveryApiClient({ baseUrl: base })
      .route('x.example')
      .catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(InternalApiError);
    expect(failure).toMatchObject({
      status: 404,
      code: 'domain_not_found',
      body: { error: 'domain_not_found', message: 'nobody knows x.example' },
      method: 'POST',
      url: `${base}api/v1/route/x.example`,
    });
  });

  it('describes an error answer that is not { error, message } by its status', async () => {
    handler = (_req, _body, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html>bad gateway</html>');
    };
    await expect(new AdapterApiClient({ baseUrl: base }).message('m')).rejects.toMatchObject({
      status: 502,
      body: { error: 'http_502', message: '<html>bad gateway</html>' },
    });
  });

  it('does not follow redirects (a 3xx is an error)', async () => {
    handler = (_req, _body, res) => {
      res.writeHead(302, { location: 'http://169.254.169.254/' });
      res.end();
    };
    await expect(new AdapterApiClient({ baseUrl: base }).destinations()).rejects.toMatchObject({
      status: 302,
    });
  });

  it('times out a silent service with InternalApiUnreachableError(timedOut)', async () => {
    handler = () => undefined; // never answers
    const started = Date.now();
    const failure = await new AdapterApiClient({ baseUrl: base, timeoutMs: 300 })
      .destinations()
      .catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(InternalApiUnreachableError);
    expect(failure).toMatchObject({ timedOut: true });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('times out a service that trickles its body', async () => {
    handler = (_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"peers":[');
      const timer = setInterval(() => res.write(' '), 50);
      res.on('close', () => clearInterval(timer));
    };
    await expect(
      new DiscoveryApiClient({ baseUrl: base, timeoutMs: 300 }).peers(),
    ).rejects.toMatchObject({ kind: 'unreachable', timedOut: true });
  });

  it('reports a refused connection as unreachable, not timed out', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(
      new AdapterApiClient({ baseUrl: `http://127.0.0.1:${port}` }).ready(),
    ).rejects.toMatchObject({ kind: 'unreachable', timedOut: false, reason: 'ECONNREFUSED' });
  });

  it('refuses a body over the bound and a 2xx body that is not JSON', async () => {
    handler = json(200, { peers: [], padding: 'x'.repeat(5000) });
    await expect(
      new DiscoveryApiClient({ baseUrl: base, maxBodyBytes: 1000 }).peers(),
    ).rejects.toBeInstanceOf(InternalApiBadAnswerError);
    handler = (_req, _body, res) => res.end('not json');
    await expect(new DiscoveryApiClient({ baseUrl: base }).peers()).rejects.toMatchObject({
      kind: 'bad_answer',
      reason: 'body is not JSON',
    });
  });

  it('follows next_cursor through every page of peers', async () => {
    handler = (req, _body, res) => {
      const url = new URL(req.url!, 'http://x');
      const cursor = url.searchParams.get('cursor');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify(
          cursor === null
            ? { peers: [{ server_id: 'a' }], next_cursor: 'c1' }
            : { peers: [{ server_id: 'b' }], next_cursor: null },
        ),
      );
    };
    const peers = await new DiscoveryApiClient({ baseUrl: base }).allPeers(1);
    expect(peers.map((p) => p.server_id)).toEqual(['a', 'b']);
    expect(seen.map((s) => s.url)).toEqual([
      '/api/v1/peers?limit=1',
      '/api/v1/peers?limit=1&cursor=c1',
    ]);
  });

  it('asks for the servers whose key awaits confirmations with pin=pending', async () => {
    handler = json(200, { peers: [{ server_id: 'p', pin: 'pending' }], next_cursor: null });
    const answer = await new DiscoveryApiClient({ baseUrl: base }).peers({ pin: 'pending' });
    expect(answer.peers[0].pin).toBe('pending');
    expect(seen.at(-1)?.url).toBe('/api/v1/peers?pin=pending');
    await new DiscoveryApiClient({ baseUrl: base }).allPeers(5, 'pending');
    expect(seen.at(-1)?.url).toBe('/api/v1/peers?limit=5&pin=pending');
  });

  it('sends stop and resume as the Destinations section says', async () => {
    handler = json(200, { server_id: 'b', state: 'stopped' });
    const adapter = new AdapterApiClient({ baseUrl: base });
    await adapter.stop('b', 'maintenance');
    await adapter.resume('b');
    expect(seen.map((s) => [s.method, s.url, JSON.parse(s.body)])).toEqual([
      ['PUT', '/api/v1/destinations/b/delivery', { state: 'stopped', reason: 'maintenance' }],
      ['PUT', '/api/v1/destinations/b/delivery', { state: 'active' }],
    ]);
  });
});

describe(toErrorBody.name, () => {
  it('keeps a service error body and fills a missing message', () => {
    expect(toErrorBody(400, '{"error":"validation_failed","message":"bad"}')).toEqual({
      error: 'validation_failed',
      message: 'bad',
    });
    expect(toErrorBody(401, '{"error":"unauthorized"}')).toEqual({
      error: 'unauthorized',
      message: '',
    });
  });

  it('bounds the text of a foreign error body', () => {
    expect(toErrorBody(500, 'y'.repeat(1000)).message).toHaveLength(200);
  });
});
