import type { Destination, Peer } from '@pager/internal-api';
import { naughtyStrings } from '@pager/testing';
import { StatusPageModel, renderStatusPage, sparkline, statusPageCsp } from './status-page';
import { requireSameOrigin } from './status.controller';
import { ownBaseUrl, parseAction } from './status.service';
import { addSample, gossipPerInterval, outboxSeries, sumCounter } from './status-samples';

const HOSTILE = '<img src=x onerror="alert(1)">';

function destination(over: Partial<Destination> = {}): Destination {
  return {
    server_id: 'server-b',
    state: 'stopped',
    reason: HOSTILE,
    since: '2026-12-01T01:00:00.000Z',
    last_success_at: null,
    last_error: `</td><script>alert(2)</script>`,
    next_attempt_at: null,
    pages_waiting: 3,
    pages_in_flight: 0,
    ...over,
  };
}

function peer(over: Partial<Peer> = {}): Peer {
  return {
    server_id: 'server-b',
    endpoints: {},
    fingerprint: 'AB'.repeat(32),
    capabilities: {},
    timestamp: '2026-12-01T00:59:00.000Z',
    neighbor: true,
    blocked: false,
    score: 97,
    ...over,
  };
}

function model(over: Partial<StatusPageModel> = {}): StatusPageModel {
  return {
    serverId: 'server-a',
    fingerprint: 'CD'.repeat(32),
    generatedAt: '2026-12-01T01:00:00.000Z',
    adapter: { state: 'ready', detail: '' },
    discovery: { state: 'unreachable', detail: `cannot reach ${HOSTILE}` },
    peers: { ok: true, value: [peer()] },
    destinations: {
      ok: true,
      value: [destination(), destination({ server_id: 'c', state: 'healthy', reason: null })],
    },
    gossipPerMinute: [1, 2, 0, 4],
    outboxDepth: [0, 3],
    refreshSeconds: 10,
    ...over,
  };
}

/** The page's markup with the text content removed: what a browser would treat as tags. */
function tags(html: string): string[] {
  return [...html.matchAll(/<([a-zA-Z!/][^>]*)>/g)].map((m) => m[1].split(/\s/)[0].toLowerCase());
}

describe(renderStatusPage.name, () => {
  const NONCE = 'bm9uY2Utb2YtdGVzdA==';

  it('shows identity, destinations with their actions, failures and peers', () => {
    const html = renderStatusPage(model(), NONCE);
    expect(html).toContain('<span id="server-id">server-a</span>');
    expect(html).toContain('<tr data-destination="server-b">');
    expect(html).toContain('data-action="resume" data-server="server-b"'); // stopped: resume
    expect(html).toContain('data-action="stop" data-server="c"'); // healthy: retry and stop
    expect(html).toContain('data-action="retry" data-server="c"');
    expect(html).toContain('<tr data-peer="server-b">');
    expect(html).toContain('<table id="failures">');
    expect(html).toContain('<polyline');
  });

  it('shows the key being rotated away from beside the current one during a rotation', () => {
    const html = renderStatusPage(model({ previousFingerprint: 'EF'.repeat(32) }), NONCE);
    expect(html).toContain(
      `<span class="mono" id="previous-fingerprint">${'EF'.repeat(32)}</span>`,
    );
    expect(html).toContain(`id="fingerprint">${'CD'.repeat(32)}</span>`);
  });

  it('shows no previous key outside a rotation', () => {
    expect(renderStatusPage(model({ previousFingerprint: null }), NONCE)).not.toContain(
      'previous-fingerprint',
    );
  });

  it('shows hostile reasons, errors and details as text', () => {
    const html = renderStatusPage(model(), NONCE);
    expect(html).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;');
    expect(html).toContain('&lt;/td&gt;&lt;script&gt;alert(2)&lt;/script&gt;');
    expect(tags(html)).not.toContain('img');
    expect(html.match(/<script/g)).toHaveLength(1);
  });

  it('keeps every BLNS string out of the markup', () => {
    const clean = tags(renderStatusPage(model({ destinations: { ok: true, value: [] } }), NONCE));
    for (const s of naughtyStrings()) {
      const html = renderStatusPage(
        model({
          destinations: { ok: true, value: [destination({ reason: s, last_error: s })] },
          discovery: { state: 'not_ready', detail: s },
          peers: { ok: false, error: s },
        }),
        NONCE,
      );
      // the same elements as a page without them, plus the destination and failure rows
      const extra = tags(html).filter((t) => !clean.includes(t));
      expect({ s, extra }).toEqual({
        s,
        extra: expect.not.arrayContaining(['img', 'iframe', 'svg:script', 'a']),
      });
      expect(tags(html).filter((t) => t === 'script')).toHaveLength(1);
    }
  });

  it('needs nothing the CSP forbids: nonce on the only style and script, no inline style attribute, no external asset', () => {
    const html = renderStatusPage(model(), NONCE);
    expect(html.match(/<style nonce="bm9uY2Utb2YtdGVzdA==">/g)).toHaveLength(1);
    expect(html.match(/<script nonce="bm9uY2Utb2YtdGVzdA==">/g)).toHaveLength(1);
    expect(html).not.toMatch(/\sstyle="/);
    expect(html).not.toMatch(/\son[a-z]+="/);
    expect(html).not.toMatch(/(src|href)="/);
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
    expect(statusPageCsp('n')).toBe(
      "default-src 'none'; style-src 'nonce-n'; script-src 'nonce-n'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    );
  });

  it('says why a part is missing instead of failing the page', () => {
    const html = renderStatusPage(
      model({
        destinations: { ok: false, error: '404 not_found' },
        gossipPerMinute: null,
        outboxDepth: null,
      }),
      NONCE,
    );
    expect(html).toContain('Destinations unavailable: 404 not_found');
    expect(html).toContain('collecting (one sample a minute)');
  });
});

describe(sparkline.name, () => {
  it('draws nothing below two points, and scales points into the box', () => {
    expect(sparkline([5], 'x')).toBe('');
    const svg = sparkline([0, 10], 'rounds', 100, 20);
    expect(svg).toContain('points="0.0,18.0 100.0,2.0"');
    expect(svg).toContain('aria-label="rounds"');
  });
});

describe('status samples', () => {
  it('keeps one hour of samples and turns the gossip counter into rounds per interval', () => {
    let samples = addSample([], { atMs: 0, gossipRounds: 10, outboxDepth: 1 });
    samples = addSample(samples, { atMs: 60_000, gossipRounds: 14, outboxDepth: null });
    samples = addSample(samples, { atMs: 120_000, gossipRounds: 3, outboxDepth: 5 }); // restart
    expect(gossipPerInterval(samples)).toEqual([4, 3]);
    expect(outboxSeries(samples)).toEqual([1, 5]);
    samples = addSample(samples, { atMs: 3_660_000, gossipRounds: 4, outboxDepth: 0 });
    expect(samples.map((s) => s.atMs)).toEqual([120_000, 3_660_000]);
    expect(gossipPerInterval([samples[0]])).toBeNull();
  });

  it('sums the labelled counter from Prometheus text', () => {
    const text = [
      'discovery_gossip_exchanges_total{role="initiator",result="ok"} 7',
      'discovery_gossip_exchanges_total{role="initiator",result="failed"} 2',
      'discovery_gossip_exchanges_total{role="responder",result="ok"} 9',
    ].join('\n');
    expect(sumCounter(text, 'discovery_gossip_exchanges_total', { role: 'initiator' })).toBe(9);
  });
});

describe(parseAction.name, () => {
  it('takes retry, resume, and stop with a reason', () => {
    expect(parseAction({ action: 'retry', server_id: 'b.example' })).toEqual({
      action: 'retry',
      server_id: 'b.example',
    });
    expect(parseAction({ action: 'stop', server_id: 'b', reason: ' spam ' })).toEqual({
      action: 'stop',
      server_id: 'b',
      reason: 'spam',
    });
  });

  it('refuses anything else with validation_failed', () => {
    for (const body of [
      null,
      [],
      'stop',
      { action: 'stop', server_id: 'b' },
      { action: 'stop', server_id: 'b', reason: '  ' },
      { action: 'stop', server_id: 'b', reason: 'x'.repeat(501) },
      { action: 'delete', server_id: 'b' },
      { action: 'retry', server_id: 'B/../x' },
    ]) {
      expect(() => parseAction(body)).toThrow(
        expect.objectContaining({ code: 'validation_failed' }),
      );
    }
  });
});

describe(requireSameOrigin.name, () => {
  const ok = { 'x-status-action': '1', host: '127.0.0.1:4200' };

  it('takes a same-origin request of the page', () => {
    expect(() => requireSameOrigin(ok)).not.toThrow();
    expect(() =>
      requireSameOrigin({
        ...ok,
        origin: 'http://127.0.0.1:4200',
        'sec-fetch-site': 'same-origin',
      }),
    ).not.toThrow();
  });

  it('refuses a request without the header, or from another site', () => {
    for (const headers of [
      { host: ok.host },
      { ...ok, 'sec-fetch-site': 'cross-site' },
      { ...ok, 'sec-fetch-site': 'same-site' },
      { ...ok, origin: 'http://evil.example' },
      { ...ok, origin: 'null' },
    ]) {
      expect(() => requireSameOrigin(headers)).toThrow(
        expect.objectContaining({ code: 'unauthorized' }),
      );
    }
  });
});

describe(ownBaseUrl.name, () => {
  it('reaches the own API on the bind address, loopback for any address', () => {
    expect(ownBaseUrl({ bindAddress: '127.0.1.20', adapterPort: 4200 })).toBe(
      'http://127.0.1.20:4200',
    );
    expect(ownBaseUrl({ bindAddress: '0.0.0.0', adapterPort: 80 })).toBe('http://127.0.0.1:80');
    expect(ownBaseUrl({ bindAddress: '::', adapterPort: 4200 })).toBe('http://[::1]:4200');
  });
});
