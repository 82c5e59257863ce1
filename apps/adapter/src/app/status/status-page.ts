import type { Destination, Peer } from '@pager/internal-api';
import { escapeHtml as e } from './escape-html';

/** What a part of the page could be read from, or why not. */
export type Part<T> = { ok: true; value: T } | { ok: false; error: string; status?: number };

export type Readiness = 'ready' | 'not_ready' | 'unreachable';

/** Everything `GET /status` shows, as plain data (built by StatusService). */
export interface StatusPageModel {
  serverId: string;
  fingerprint: string;
  /** The key being rotated away from (PREVIOUS_KEY_PATH), null when no rotation. */
  previousFingerprint?: string | null;
  /** ISO time the page was built. */
  generatedAt: string;
  adapter: { state: Readiness; detail: string };
  discovery: { state: Readiness; detail: string };
  peers: Part<Peer[]>;
  destinations: Part<Destination[]>;
  /** Initiated gossip rounds per minute over the last hour, oldest first (null: no data yet). */
  gossipPerMinute: number[] | null;
  /** Pages waiting or in flight, sampled each minute over the last hour. */
  outboxDepth: number[] | null;
  refreshSeconds: number;
}

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1b1f24;background:#fafbfc}
h1{font-size:1.3rem;margin:0 0 .2rem}h2{font-size:1.05rem;margin:1.6rem 0 .4rem}
.muted{color:#57606a}.mono{font-family:ui-monospace,monospace;font-size:12px}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #d0d7de;vertical-align:top}
th{background:#f0f2f4;font-weight:600}td.num{text-align:right}
.badge{display:inline-block;padding:0 .45rem;border-radius:.6rem;font-size:12px;font-weight:600}
.ready,.healthy{background:#dafbe1;color:#116329}.backing_off,.not_ready{background:#fff8c5;color:#7d4e00}
.unreachable,.blocked{background:#ffebe9;color:#a40e26}.stopped{background:#fbefff;color:#6e40c9}
.cards{display:flex;gap:1rem;flex-wrap:wrap}.card{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:.6rem .9rem}
.card svg{display:block;color:#0969da}.error{color:#a40e26}
#notice{background:#ffebe9;border:1px solid #a40e26;padding:.4rem .6rem;margin:.6rem 0}
input[name=reason]{width:11rem}button{cursor:pointer}
`;

/**
 * The browser side: reload every `refreshSeconds` (not while the operator types a reason),
 * and the retry / stop / resume buttons, which POST JSON to `status/actions` with a header
 * that a cross-site form cannot send. Runs only under the page's CSP nonce.
 */
function script(refreshSeconds: number): string {
  return `(() => {
  const every = ${refreshSeconds * 1000};
  const tick = () => {
    const active = document.activeElement;
    if (active && active.tagName === 'INPUT' && active.value !== '') setTimeout(tick, every);
    else location.reload();
  };
  setTimeout(tick, every);
  const notice = (text) => {
    const el = document.getElementById('notice');
    el.textContent = text;
    el.hidden = false;
  };
  document.addEventListener('click', async (event) => {
    const button = event.target.closest('button[data-action]');
    if (!button) return;
    const body = { action: button.dataset.action, server_id: button.dataset.server };
    if (body.action === 'stop') {
      const input = button.closest('tr').querySelector('input[name=reason]');
      body.reason = input.value.trim();
      if (body.reason === '') {
        notice('Stopping delivery needs a reason.');
        input.focus();
        return;
      }
    }
    button.disabled = true;
    try {
      const res = await fetch('status/actions', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-status-action': '1' },
        body: JSON.stringify(body),
        credentials: 'same-origin',
      });
      if (res.ok) return location.reload();
      const answer = await res.json().catch(() => ({}));
      notice(res.status + ' ' + (answer.error || '') + ': ' + (answer.message || ''));
    } catch (err) {
      notice(String(err));
    }
    button.disabled = false;
  });
})();`;
}

/**
 * A small line chart as inline SVG (presentation attributes only, so that the page's CSP
 * needs no inline style). Empty string for fewer than two points.
 */
export function sparkline(values: number[], label: string, width = 240, height = 40): string {
  if (values.length < 2) return '';
  const max = Math.max(1, ...values);
  const step = width / (values.length - 1);
  const points = values
    .map((v, i) => `${(i * step).toFixed(1)},${(height - 2 - (v / max) * (height - 4)).toFixed(1)}`)
    .join(' ');
  return (
    `<svg width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${e(label)}">` +
    `<polyline fill="none" stroke="currentColor" stroke-width="1.5" points="${points}"/></svg>`
  );
}

function badge(state: string): string {
  return `<span class="badge ${e(state.replace(/[^a-z_]/g, ''))}">${e(state.replace('_', ' '))}</span>`;
}

function short(fp: string): string {
  return `${fp.slice(0, 16)}…`;
}

function peersSection(peers: Part<Peer[]>): string {
  if (!peers.ok) return `<p class="error">Peers unavailable: ${e(peers.error)}</p>`;
  if (peers.value.length === 0) return '<p class="muted">No peers known yet.</p>';
  const rows = peers.value
    .map(
      (p) =>
        `<tr data-peer="${e(p.server_id)}"><td>${e(p.server_id)}</td>` +
        `<td class="mono" title="${e(p.fingerprint)}">${e(short(p.fingerprint))}</td>` +
        `<td>${e(p.timestamp)}</td><td class="num">${e(p.score)}</td>` +
        `<td>${p.neighbor ? 'yes' : 'no'}</td><td>${p.blocked ? badge('blocked') : 'no'}</td></tr>`,
    )
    .join('');
  return (
    '<table id="peers"><thead><tr><th>Server</th><th>Fingerprint</th><th>Last seen</th>' +
    `<th>Score</th><th>Neighbour</th><th>Blocked</th></tr></thead><tbody>${rows}</tbody></table>`
  );
}

function destinationsSection(destinations: Part<Destination[]>): string {
  if (!destinations.ok)
    return `<p class="error">Destinations unavailable: ${e(destinations.error)}</p>`;
  if (destinations.value.length === 0)
    return '<p class="muted">No page has been sent to another server yet.</p>';
  const rows = destinations.value
    .map((d) => {
      const server = e(d.server_id);
      const action =
        d.state === 'stopped'
          ? `<button type="button" data-action="resume" data-server="${server}">Resume</button>`
          : `<button type="button" data-action="retry" data-server="${server}">Retry</button> ` +
            `<input name="reason" maxlength="500" placeholder="reason" aria-label="reason to stop ${server}">` +
            `<button type="button" data-action="stop" data-server="${server}">Stop</button>`;
      return (
        `<tr data-destination="${server}"><td>${server}</td><td class="state">${badge(d.state)}</td>` +
        `<td class="reason">${e(d.reason)}</td><td>${e(d.since)}</td><td>${e(d.next_attempt_at)}</td>` +
        `<td class="num">${e(d.pages_waiting)}</td><td class="num">${e(d.pages_in_flight)}</td>` +
        `<td>${action}</td></tr>`
      );
    })
    .join('');
  return (
    '<table id="destinations"><thead><tr><th>Server</th><th>State</th><th>Reason</th><th>Since</th>' +
    '<th>Next attempt</th><th>Waiting</th><th>In flight</th><th>Action</th></tr></thead>' +
    `<tbody>${rows}</tbody></table>`
  );
}

function failuresSection(destinations: Part<Destination[]>): string {
  if (!destinations.ok) return '';
  const failing = destinations.value
    .filter((d) => d.last_error)
    .sort((a, b) => (a.since < b.since ? 1 : -1))
    .slice(0, 20);
  if (failing.length === 0) return '<p class="muted">No delivery failures recorded.</p>';
  const rows = failing
    .map(
      (d) =>
        `<tr><td>${e(d.server_id)}</td><td>${badge(d.state)}</td><td class="mono">${e(d.last_error)}</td>` +
        `<td>${e(d.last_success_at)}</td></tr>`,
    )
    .join('');
  return (
    '<table id="failures"><thead><tr><th>Server</th><th>State</th><th>Last error</th>' +
    `<th>Last success</th></tr></thead><tbody>${rows}</tbody></table>`
  );
}

function chartCard(title: string, values: number[] | null): string {
  const chart = values && values.length >= 2 ? sparkline(values, title) : '';
  const last = values && values.length > 0 ? values[values.length - 1] : null;
  return (
    `<div class="card"><div class="muted">${e(title)}</div>` +
    (chart || '<div class="muted">collecting (one sample a minute)</div>') +
    `<div>now: ${last === null ? '–' : e(last)}</div></div>`
  );
}

/**
 * The whole `GET /status` document. Every value goes through `escapeHtml`; the only style
 * and script elements carry `nonce`, so the page works under
 * `default-src 'none'; style-src 'nonce-…'; script-src 'nonce-…'` with no external asset.
 */
export function renderStatusPage(model: StatusPageModel, nonce: string): string {
  const n = e(nonce);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>${e(model.serverId)} · federation status</title>
<style nonce="${n}">${STYLE}</style></head>
<body>
<h1>Federation status of <span id="server-id">${e(model.serverId)}</span></h1>
<p class="muted">fingerprint <span class="mono" id="fingerprint">${e(model.fingerprint)}</span>${model.previousFingerprint ? ` · rotating from <span class="mono" id="previous-fingerprint">${e(model.previousFingerprint)}</span>` : ''} · built ${e(model.generatedAt)} · refreshes every ${e(model.refreshSeconds)} s</p>
<div id="notice" role="alert" hidden></div>
<h2>Health</h2>
<div class="cards">
<div class="card" id="health-adapter">adapter ${badge(model.adapter.state)} <span class="muted">${e(model.adapter.detail)}</span></div>
<div class="card" id="health-discovery">discovery daemon ${badge(model.discovery.state)} <span class="muted">${e(model.discovery.detail)}</span></div>
${chartCard('gossip rounds per minute (last hour)', model.gossipPerMinute)}
${chartCard('outbox depth (last hour)', model.outboxDepth)}
</div>
<h2>Destinations</h2>
${destinationsSection(model.destinations)}
<h2>Recent failures</h2>
${failuresSection(model.destinations)}
<h2>Peers</h2>
${peersSection(model.peers)}
<script nonce="${n}">${script(model.refreshSeconds)}</script>
</body></html>
`;
}

/** The page's Content-Security-Policy for one nonce. */
export function statusPageCsp(nonce: string): string {
  return [
    "default-src 'none'",
    `style-src 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}
