import type { PendingPeer } from '../pins/pin-store.service';
import { pendingPeerPage } from './pending-peers';

function pending(serverId: string, timestamp = '2026-12-01T07:00:00.000Z'): PendingPeer {
  return {
    serverId,
    fingerprint: `FP-${serverId}`,
    announcement: {
      server_id: serverId,
      endpoints: { discovery: `https://${serverId}/discovery` },
      capabilities: { paging: true },
      timestamp,
    },
    timestampMs: Date.parse(timestamp),
  };
}

const cursor = (serverId: string) => `c:${serverId}`;
const none = new Set<string>();
const noScores = new Map<string, number>();

describe(pendingPeerPage.name, () => {
  const all = [pending('c.example'), pending('a.example'), pending('b.example')];

  it('lists pending servers in server_id order in the peers entry shape, marked pending', () => {
    const page = pendingPeerPage(all, {}, 10, none, new Map([['b.example', 40]]), cursor);
    expect(page.peers.map((p) => p.server_id)).toEqual(['a.example', 'b.example', 'c.example']);
    expect(page.peers[1]).toEqual({
      server_id: 'b.example',
      endpoints: { discovery: 'https://b.example/discovery' },
      fingerprint: 'FP-b.example',
      capabilities: { paging: true },
      timestamp: '2026-12-01T07:00:00.000Z',
      neighbor: false,
      blocked: false,
      score: 40,
      pin: 'pending',
    });
    expect(page.next_cursor).toBeNull();
  });

  it('pages with limit and the cursor of the last entry', () => {
    const first = pendingPeerPage(all, {}, 2, none, noScores, cursor);
    expect(first.peers.map((p) => p.server_id)).toEqual(['a.example', 'b.example']);
    expect(first.next_cursor).toBe('c:b.example');
    const second = pendingPeerPage(all, { after: 'b.example' }, 2, none, noScores, cursor);
    expect(second.peers.map((p) => p.server_id)).toEqual(['c.example']);
    expect(second.next_cursor).toBeNull();
  });

  it('applies the prefix, blocked and neighbor filters', () => {
    const blocked = new Set(['a.example']);
    expect(
      pendingPeerPage(all, { prefix: 'c' }, 10, none, noScores, cursor).peers.map(
        (p) => p.server_id,
      ),
    ).toEqual(['c.example']);
    const onlyBlocked = pendingPeerPage(all, { blocked: true }, 10, blocked, noScores, cursor);
    expect(onlyBlocked.peers).toMatchObject([{ server_id: 'a.example', blocked: true, score: 0 }]);
    expect(
      pendingPeerPage(all, { blocked: false }, 10, blocked, noScores, cursor).peers,
    ).toHaveLength(2);
    expect(pendingPeerPage(all, { neighbor: true }, 10, none, noScores, cursor).peers).toEqual([]);
    expect(
      pendingPeerPage(all, { neighbor: false }, 10, none, noScores, cursor).peers,
    ).toHaveLength(3);
  });

  it('takes the timestamp from the stored time when the announcement has none', () => {
    const odd = { ...pending('d.example'), announcement: {} };
    const [entry] = pendingPeerPage([odd], {}, 10, none, noScores, cursor).peers;
    expect(entry.timestamp).toBe('2026-12-01T07:00:00.000Z');
    expect(entry.endpoints).toBeUndefined();
  });
});
