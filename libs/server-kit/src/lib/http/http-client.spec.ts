import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { isPermittedAddress } from '@pager/protocol';
import { createHttpClient, guardedLookup } from './http-client';

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
