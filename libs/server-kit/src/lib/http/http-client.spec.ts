import { IncomingHttpHeaders, Server, createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { isPermittedAddress } from '@pager/protocol';
import { createHttpClient, createJsonClient, guardedLookup } from './http-client';

describe(createHttpClient.name, () => {
  let server: Server;
  let port: number;

  beforeAll(async () => {
    server = createServer((_req, res) => res.end('{"ok":true}'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('refuses to connect when a host name resolves to an address the policy forbids', async () => {
    const sut = createHttpClient({
      timeoutMs: 2000,
      maxBodyBytes: 1024,
      permitAddress: (ip) => isPermittedAddress(ip, false),
    });
    await expect(sut.get(`http://localhost:${port}/`)).rejects.toMatchObject({
      code: 'EADDRNOTPERMITTED',
    });
  });

  it('connects when the resolved addresses are permitted (development mode)', async () => {
    const sut = createHttpClient({
      timeoutMs: 2000,
      maxBodyBytes: 1024,
      permitAddress: (ip) => isPermittedAddress(ip, true),
    });
    const response = await sut.get(`http://localhost:${port}/`);
    expect(response.data).toEqual({ ok: true });
  });

  it('answers in the form asked for (one address, or all)', (done) => {
    const lookup = guardedLookup(() => true);
    lookup('localhost', { all: false }, (err, address, family) => {
      expect(err).toBeNull();
      expect(typeof address).toBe('string');
      expect([4, 6]).toContain(family);
      lookup('localhost', { all: true }, (err2, all) => {
        expect(err2).toBeNull();
        expect(Array.isArray(all)).toBe(true);
        done();
      });
    });
  });
});

describe(createJsonClient.name, () => {
  let server: Server;
  let base: string;
  const seen: { headers: IncomingHttpHeaders; body: string }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        if (req.url === '/big') res.end(JSON.stringify({ pad: 'x'.repeat(4096) }));
        else if (req.url === '/text') res.writeHead(502).end('bad gateway');
        else if (req.url === '/redirect')
          res.writeHead(302, { location: '/elsewhere' }).end('{"moved":true}');
        else if (req.url === '/slow') setTimeout(() => res.end('{}'), 2_000);
        else res.writeHead(201, { 'retry-after': '7' }).end('{"ok":true}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const sut = () => createJsonClient({ timeoutMs: 500, maxBodyBytes: 1024 });

  it('posts JSON with its headers and answers status, headers and the parsed body', async () => {
    const response = await sut().post(`${base}/`, { a: 1 }, { headers: { 'x-extra': 'yes' } });
    expect(response).toMatchObject({ status: 201, data: { ok: true } });
    expect(response.headers['retry-after']).toBe('7');
    const last = seen[seen.length - 1];
    expect(JSON.parse(last.body)).toEqual({ a: 1 });
    expect(last.headers['content-type']).toBe('application/json');
    expect(last.headers['x-extra']).toBe('yes');
  });

  it('sends a string body as it is', async () => {
    await sut().post(`${base}/`, '{"b":2}');
    expect(seen[seen.length - 1].body).toBe('{"b":2}');
  });

  it('answers an error status with the body as text when it is not JSON', async () => {
    expect(await sut().post(`${base}/text`, {})).toMatchObject({
      status: 502,
      data: 'bad gateway',
    });
  });

  it('does not follow a redirect', async () => {
    expect(await sut().post(`${base}/redirect`, {})).toMatchObject({ status: 302 });
  });

  it('refuses a body over the limit', async () => {
    await expect(sut().post(`${base}/big`, {})).rejects.toMatchObject({
      code: 'ERR_BODY_TOO_LARGE',
    });
  });

  it('gives up after the timeout', async () => {
    await expect(sut().post(`${base}/slow`, {})).rejects.toMatchObject({ code: 'ETIMEDOUT' });
  });

  it('stops when its signal is aborted', async () => {
    const abort = new AbortController();
    const pending = sut().post(`${base}/slow`, {}, { signal: abort.signal });
    abort.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('refuses to connect when a host name resolves to an address the policy forbids', async () => {
    const guarded = createJsonClient({
      timeoutMs: 2000,
      maxBodyBytes: 1024,
      permitAddress: (ip) => isPermittedAddress(ip, false),
    });
    await expect(guarded.post(base.replace('127.0.0.1', 'localhost'), {})).rejects.toMatchObject({
      code: 'EADDRNOTPERMITTED',
    });
  });
});
