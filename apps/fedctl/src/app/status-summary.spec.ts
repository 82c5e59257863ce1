import type { Destination, Peer } from '@pager/internal-api';
import { Probe, StatusInput, statusExitCode, sumSamples, summarizeStatus } from './status-summary';

const NOW = Date.parse('2026-12-01T01:00:00Z');
const HOUR = 3_600_000;
const ok = <T>(value: T): Probe<T> => ({ ok: true, value });
const down: Probe<never> = { ok: false, kind: 'unreachable', message: 'ECONNREFUSED' };
const notReady: Probe<never> = {
  ok: false,
  kind: 'http',
  status: 503,
  error: 'http_503',
  message: 'not ready',
};

function peer(id: string, over: Partial<Peer> = {}): Peer {
  return {
    server_id: id,
    endpoints: {},
    fingerprint: 'F'.repeat(64),
    capabilities: {},
    timestamp: new Date(NOW - HOUR).toISOString(),
    neighbor: false,
    blocked: false,
    score: 100,
    ...over,
  };
}

function destination(id: string, state: Destination['state'], waiting = 0): Destination {
  return {
    server_id: id,
    state,
    reason: null,
    since: new Date(NOW).toISOString(),
    last_success_at: null,
    last_error: null,
    next_attempt_at: null,
    pages_waiting: waiting,
    pages_in_flight: 0,
  };
}

function input(over: Partial<StatusInput> = {}): StatusInput {
  return {
    discoveryReady: ok({}),
    adapterReady: ok({}),
    identity: ok({ server_id: 'a.example', fingerprint: 'A'.repeat(64) }),
    peers: ok([
      peer('b', { neighbor: true }),
      peer('c', { timestamp: new Date(NOW - 25 * HOUR).toISOString() }),
      peer('d', { blocked: true, score: 0 }),
    ]),
    destinations: ok([destination('b', 'healthy'), destination('c', 'backing_off', 2)]),
    gossip: ok({ ok: 5, failed: 1 }),
    nowMs: NOW,
    liveWithinMs: 24 * HOUR,
    ...over,
  };
}

describe(summarizeStatus.name, () => {
  it('is healthy when both services are ready and no destination is unreachable', () => {
    const s = summarizeStatus(input());
    expect(s).toMatchObject({
      health: 'healthy',
      problems: [],
      server_id: 'a.example',
      peers_known: 3,
      peers_live: 1, // c is older than the TTL, d is blocked
      peers_blocked: 1,
      neighbours: 1,
      destinations: { healthy: 1, backing_off: 1, unreachable: 0, stopped: 0 },
      pages_waiting: 2,
      gossip_exchanges: { ok: 5, failed: 1 },
    });
    expect(statusExitCode(s)).toBe(0);
  });

  it('does not count a stopped destination (operator decision) as degraded', () => {
    const s = summarizeStatus(input({ destinations: ok([destination('b', 'stopped', 1)]) }));
    expect(s.health).toBe('healthy');
  });

  it('is degraded when a destination is unreachable', () => {
    const s = summarizeStatus(input({ destinations: ok([destination('b', 'unreachable', 4)]) }));
    expect(s.health).toBe('degraded');
    expect(s.problems).toEqual(['1 destination(s) unreachable']);
    expect(statusExitCode(s)).toBe(1);
  });

  it('is degraded when a service answers not ready', () => {
    const s = summarizeStatus(input({ adapterReady: notReady }));
    expect(s).toMatchObject({ health: 'degraded', adapter: 'not_ready' });
    expect(statusExitCode(s)).toBe(1);
  });

  it('is degraded when a ready service refuses a call the summary needs (e.g. 401)', () => {
    const s = summarizeStatus(input({ peers: { ...notReady, status: 401, message: '401' } }));
    expect(s.health).toBe('degraded');
    expect(s.peers_known).toBeNull();
  });

  it('is unreachable when either service gives no answer, whatever else holds', () => {
    for (const over of [{ discoveryReady: down }, { adapterReady: down }]) {
      const s = summarizeStatus(input({ ...over, peers: down, destinations: down }));
      expect(s.health).toBe('unreachable');
      expect(statusExitCode(s)).toBe(2);
    }
  });
});

describe(sumSamples.name, () => {
  const text = [
    '# HELP discovery_gossip_exchanges_total Gossip exchanges',
    '# TYPE discovery_gossip_exchanges_total counter',
    'discovery_gossip_exchanges_total{role="initiator",result="ok"} 7',
    'discovery_gossip_exchanges_total{role="responder",result="ok"} 3',
    'discovery_gossip_exchanges_total{role="initiator",result="failed"} 2',
    'discovery_gossip_exchanges_total_bogus{role="initiator",result="ok"} 100',
    'discovery_peers_known 4',
  ].join('\n');

  it('sums the samples whose labels match', () => {
    expect(sumSamples(text, 'discovery_gossip_exchanges_total')).toBe(12);
    expect(
      sumSamples(text, 'discovery_gossip_exchanges_total', { role: 'initiator', result: 'ok' }),
    ).toBe(7);
    expect(sumSamples(text, 'discovery_peers_known')).toBe(4);
  });

  it('gives 0 for a missing series and skips lines that do not parse', () => {
    expect(sumSamples('garbage\n{}', 'discovery_gossip_exchanges_total')).toBe(0);
    expect(sumSamples('x{a="1"} NaNx', 'x')).toBe(0);
  });
});
