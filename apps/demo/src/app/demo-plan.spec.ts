import {
  PageOutcome,
  percentile,
  planContacts,
  planMeshPages,
  planOutagePages,
  planServers,
  summarize,
} from './demo-plan';
import { renderProgress } from './progress-display';

describe('planServers', () => {
  it('lays servers out on distinct ports with databases of their own', () => {
    const sut = planServers(3, '127.0.0.1', 5100);
    expect(sut.map((s) => [s.serverId, s.discoveryPort, s.adapterPort, s.database])).toEqual([
      ['server-a', 5100, 5200, 'demo_server_a'],
      ['server-b', 5101, 5201, 'demo_server_b'],
      ['server-c', 5102, 5202, 'demo_server_c'],
    ]);
    expect(sut[1].publicFederationUrl).toBe('http://127.0.0.1:5201/federation');
  });

  it('refuses fewer than two or more than twenty servers', () => {
    expect(() => planServers(1, '127.0.0.1', 5100)).toThrow(RangeError);
    expect(() => planServers(21, '127.0.0.1', 5100)).toThrow(RangeError);
  });

  it('refuses a base port that leaves no room', () => {
    expect(() => planServers(5, '127.0.0.1', 65500)).toThrow(RangeError);
  });
});

describe('pages and contacts', () => {
  const servers = planServers(4, '127.0.0.1', 5100);

  it('sends two pages for every ordered pair: by address and by contact name', () => {
    const pages = planMeshPages(servers);
    expect(pages).toHaveLength(4 * 3 * 2);
    expect(new Set(pages.map((p) => p.key)).size).toBe(pages.length);
    expect(pages.every((p) => p.from !== p.recipient)).toBe(true);
    const byContact = pages.find((p) => p.via === 'contact' && p.from === 0 && p.recipient === 2);
    expect(byContact?.to).toBe('On-call at server-c');
  });

  it('gives every lead a contact for each other server, named as the pages use them', () => {
    const contacts = planContacts(servers, servers[0]);
    expect(contacts.map((c) => c.pagerAddress)).toEqual([
      'oncall@server-b',
      'oncall@server-c',
      'oncall@server-d',
    ]);
    const names = new Set(contacts.map((c) => c.name));
    for (const page of planMeshPages(servers).filter((p) => p.via === 'contact' && p.from === 0)) {
      expect(names.has(page.to)).toBe(true);
    }
  });

  it('pages the stopped server from every other one', () => {
    const pages = planOutagePages(servers, 3);
    expect(pages.map((p) => p.from)).toEqual([0, 1, 2]);
    expect(pages.every((p) => p.recipient === 3 && p.phase === 'outage')).toBe(true);
  });
});

describe('summarize', () => {
  const servers = planServers(2, '127.0.0.1', 5100);
  const [page] = planMeshPages(servers);
  const outcome = (over: Partial<PageOutcome>): PageOutcome => ({
    page,
    messageId: 'MSG-00000001',
    status: 'delivered',
    latencyMs: 100,
    inboxCopies: 1,
    ...over,
  });

  it('is exactly once when every page is delivered and in one inbox once', () => {
    const report = summarize(servers, [outcome({}), outcome({ latencyMs: 300 })], 1200, null);
    expect(report.exactly_once).toBe(true);
    expect(report.latency_ms).toEqual({ p50: 100, p99: 300 });
    expect(report.convergence_ms).toBe(1200);
  });

  it('is not exactly once with a duplicate in an inbox', () => {
    const report = summarize(servers, [outcome({ inboxCopies: 2 })], 0, null);
    expect(report.exactly_once).toBe(false);
    expect(report.pages.duplicated).toBe(1);
  });

  it('is not exactly once when a delivered page is missing from the inbox', () => {
    const report = summarize(servers, [outcome({ inboxCopies: 0 })], 0, null);
    expect(report.exactly_once).toBe(false);
    expect(report.pages.missing).toBe(1);
  });

  it('leaves the outage pages, which waited on purpose, out of the latency', () => {
    const [outagePage] = planOutagePages(servers, 1);
    const report = summarize(
      servers,
      [outcome({ latencyMs: 200 }), outcome({ page: outagePage, latencyMs: 9000 })],
      0,
      1,
    );
    expect(report.latency_ms).toEqual({ p50: 200, p99: 200 });
    expect(report.outage).toEqual({ server: 'server-b', pages: 1, delivered: 1 });
  });

  it('counts failed and waiting pages apart', () => {
    const report = summarize(
      servers,
      [outcome({ status: 'failed', inboxCopies: 0 }), outcome({ status: 'queued' })],
      0,
      null,
    );
    expect(report.pages).toMatchObject({ failed: 1, waiting: 1, delivered: 0 });
    expect(report.exactly_once).toBe(false);
  });

  it('is not exactly once for a run without pages', () => {
    expect(summarize(servers, [], 0, null).exactly_once).toBe(false);
  });
});

describe('percentile', () => {
  it('takes the nearest rank', () => {
    expect(percentile([5, 1, 4, 2, 3], 50)).toBe(3);
    expect(percentile([5, 1, 4, 2, 3], 99)).toBe(5);
    expect(percentile([], 50)).toBeNull();
  });
});

describe('renderProgress', () => {
  it('shows each server with its peers out of the others', () => {
    const lines = renderProgress({
      phase: 'gossip',
      servers: [
        { serverId: 'server-a', ready: true, peersKnown: 2 },
        { serverId: 'server-b', ready: false, peersKnown: null },
        { serverId: 'server-c', ready: true, peersKnown: 1 },
      ],
      pages: { delivered: 1, waiting: 2, failed: 0 },
    });
    expect(lines[0]).toBe('[gossip] pages: 1 delivered, 2 waiting, 0 failed');
    expect(lines[1]).toContain('peers known 2/2');
    expect(lines[2]).toContain('down');
    expect(lines[2]).toContain('peers known -');
  });
});
