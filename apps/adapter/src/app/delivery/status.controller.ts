import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { DestinationsService } from './destinations.service';
import type { DestinationView } from './destination.store';

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text for HTML: every character that could open markup is escaped (other servers wrote it). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/** The page of `GET /status`: destinations, worst first (pure; values escaped). */
export function renderStatusPage(destinations: DestinationView[], nowIso: string): string {
  const order = { stopped: 0, unreachable: 1, backing_off: 2, healthy: 3 };
  const rows = [...destinations]
    .sort((a, b) => order[a.state] - order[b.state] || b.pages_waiting - a.pages_waiting)
    .map(
      (d) =>
        `<tr class="${d.state}"><td>${escapeHtml(d.server_id)}</td><td>${d.state}</td>` +
        `<td>${escapeHtml(d.reason ?? '')}</td><td>${d.since}</td><td>${d.pages_waiting}</td>` +
        `<td>${d.pages_in_flight}</td><td>${d.last_success_at ?? ''}</td>` +
        `<td>${escapeHtml(d.last_error ?? '')}</td><td>${d.next_attempt_at ?? ''}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Federation adapter: destinations</title>
<style>body{font-family:sans-serif}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px}
.unreachable{background:#fdd}.stopped{background:#eee}.backing_off{background:#ffd}</style></head>
<body><h1>Destinations</h1><p>As of ${nowIso}. API: <code>GET /api/v1/destinations</code>.</p>
<table><tr><th>server</th><th>state</th><th>reason</th><th>since</th><th>waiting</th><th>in flight</th>
<th>last success</th><th>last error</th><th>next attempt</th></tr>
${rows}
</table></body></html>`;
}

/**
 * `GET /status/destinations`: the destinations alone as a plain HTML table (no script), under
 * the internal API's access rule. `GET /status` itself is the full status page (../status/).
 */
@ApiExcludeController()
@Controller('status/destinations')
export class StatusController {
  constructor(@Inject(DestinationsService) private readonly destinations: DestinationsService) {}

  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
  async page(): Promise<string> {
    const { destinations } = await this.destinations.list({});
    return renderStatusPage(destinations, new Date().toISOString());
  }
}
