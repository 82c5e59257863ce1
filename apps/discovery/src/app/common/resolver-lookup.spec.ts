import { isPermittedAddress } from '@pager/protocol';
import { createHttpClient } from '@pager/server-kit';
import { Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EndpointChecker } from './endpoint-checker';
import type { HostResolver } from './host-resolver';
import { connectThroughResolver } from './resolver-lookup';

// SSRF through the daemon's injectable resolver: the endpoint policy when an announcement
// arrives, and the re-check of every address when a connection is opened (DNS rebinding).

const PUBLIC = '93.184.216.34';
const answers = new Map<string, string[]>();
const asked: string[] = [];
const resolver: HostResolver = async (host) => {
  asked.push(host);
  return answers.get(host) ?? [];
};

function checker(allowPrivate: boolean): EndpointChecker {
  return new EndpointChecker({ allowPrivateEndpoints: allowPrivate }, resolver);
}

function peerHttp(allowPrivate: boolean) {
  const permit = (ip: string) => isPermittedAddress(ip, allowPrivate);
  return connectThroughResolver(
    createHttpClient({ timeoutMs: 2_000, maxBodyBytes: 4096, permitAddress: permit }),
    resolver,
    permit,
  );
}

let server: Server;
let port: number;
let requests = 0;

beforeAll(async () => {
  server = createServer((_req, res) => {
    requests++;
    res.setHeader('content-type', 'application/json');
    res.end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  answers.clear();
  asked.length = 0;
  requests = 0;
});

const endpointsOf = (host: string) => ({
  federation: `https://${host}/federation`,
  discovery: `https://${host}:${port}/discovery`,
});

describe('a name that resolves to a public address when announced, a private one at connect time', () => {
  it('passes the policy, then the connection is refused and nothing is sent', async () => {
    answers.set('rebind.example', [PUBLIC]);
    expect(
      await checker(false).checkAnnouncement('rebind.example', endpointsOf('rebind.example')),
    ).toEqual({ ok: true });

    answers.set('rebind.example', ['127.0.0.1']);
    await expect(
      peerHttp(false).post(`http://rebind.example:${port}/discovery/gossip`, {}),
    ).rejects.toMatchObject({ code: 'EADDRNOTPERMITTED' });
    expect(requests).toBe(0);
    expect(asked).toEqual(['rebind.example', 'rebind.example']);
  });

  it.each([
    ['IPv4-mapped loopback', '::ffff:127.0.0.1'],
    ['NAT64 of the metadata address', '64:ff9b::a9fe:a9fe'],
    ['local-use NAT64 of a private address', '64:ff9b:1::a00:1'],
    ['6to4 of loopback', '2002:7f00:1::1'],
    ['Teredo with a private client', '2001:0:4136:e378:8000:63bf:f5ff:fffe'],
    ['one private among public ones', PUBLIC],
  ])('refuses %s at connect time', async (_what, ip) => {
    answers.set('rebind.example', ip === PUBLIC ? [PUBLIC, '10.0.0.1'] : [ip]);
    await expect(
      peerHttp(false).get(`http://rebind.example:${port}/discovery/announcement`),
    ).rejects.toMatchObject({ code: 'EADDRNOTPERMITTED' });
    expect(requests).toBe(0);
  });

  it('refuses a name that does not resolve', async () => {
    await expect(peerHttp(true).get(`http://nowhere.example:${port}/`)).rejects.toMatchObject({
      code: 'EADDRNOTPERMITTED',
    });
  });

  it('connects to the address the resolver gave when it is permitted (development mode)', async () => {
    answers.set('peer.example', ['127.0.0.1']);
    const response = await peerHttp(true).get(`http://peer.example:${port}/`);
    expect(response.data).toEqual({ ok: true });
    expect(requests).toBe(1);
    expect(asked).toEqual(['peer.example']);
  });
});

describe('announced endpoints whose names resolve to transition addresses', () => {
  it.each([
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'link_local'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['64:ff9b:1::a9fe:a9fe', 'link_local'],
    ['2002:c0a8:101::1', 'private'],
    ['2001:0:4136:e378:8000:63bf:80ff:fffe', 'loopback'],
    ['2001:4860:1:1:0:5efe:a00:1', 'private'],
  ])('refuses an announcement resolving to %s (%s)', async (ip, ipClass) => {
    answers.set('mirah.example.com', [ip]);
    const check = await checker(false).checkAnnouncement(
      'mirah.example.com',
      endpointsOf('mirah.example.com'),
    );
    expect(check.ok).toBe(false);
    expect(JSON.stringify(check)).toContain(ipClass);
  });

  it('accepts public IPv4 behind NAT64, 6to4 and Teredo', async () => {
    for (const ip of [
      '64:ff9b::808:808',
      '2002:808:808::1',
      '2001:0:4136:e378:8000:63bf:f7f7:f7f7',
    ]) {
      answers.set('mirah.example.com', [ip]);
      expect(
        await checker(false).checkAnnouncement(
          'mirah.example.com',
          endpointsOf('mirah.example.com'),
        ),
      ).toEqual({ ok: true });
    }
  });
});
