import { isErrorCode } from '@pager/protocol';
import { Client } from 'pg';
import type { FuzzRequest } from './fuzz-cases';

/** What one request gave. */
export interface FuzzOutcome {
  request: FuzzRequest;
  /** HTTP status, or 0 when the connection failed (reset, closed). */
  status: number;
  error?: string;
  body?: string;
  /** The state digest changed across a refused request. */
  stateChanged: boolean;
}

export type Violation = '5xx' | 'reset' | 'shape' | 'state';

/** The rules of issue 9 for one outcome: which ones it breaks (none is the goal). */
export function violationsOf(outcome: FuzzOutcome): Violation[] {
  const found: Violation[] = [];
  if (outcome.status >= 500) found.push('5xx');
  if (outcome.status === 0 && !outcome.request.oversize) found.push('reset');
  if (outcome.status >= 400 && outcome.status < 500) {
    if (!hasErrorShape(outcome.body)) found.push('shape');
    if (outcome.stateChanged) found.push('state');
  }
  return found;
}

/** `{ "error": <a protocol error code>, "message": <string> }`. */
export function hasErrorShape(text: string | undefined): boolean {
  try {
    const body = JSON.parse(text ?? '') as Record<string, unknown>;
    return (
      typeof body === 'object' &&
      body !== null &&
      isErrorCode(body['error']) &&
      typeof body['message'] === 'string'
    );
  } catch {
    return false;
  }
}

/**
 * A digest of the state no refused request may change: peers (id, timestamp), pins,
 * blocklist, reputation reports, users and policies, contacts, sender blocks, the messages
 * table (inboxes and outbox: count and last id) and inbound receipts. Columns background
 * work updates (delivery status, attempts, last_seen) are left out.
 */
export class StateProbe {
  private readonly sql: string;

  constructor(
    private readonly client: Client,
    discoverySchema: string,
    adapterSchema: string,
  ) {
    const d = `"${discoverySchema}"`;
    const a = `"${adapterSchema}"`;
    const agg = (expr: string, table: string, order: string) =>
      `coalesce((SELECT string_agg(${expr}, ',' ORDER BY ${order}) FROM ${table}), '')`;
    this.sql = `SELECT md5(concat_ws('|',
      ${agg(`server_id || ':' || timestamp`, `${d}.peers`, 'server_id')},
      ${agg(`server_id || ':' || fingerprint`, `${d}.pins`, 'server_id')},
      ${agg(`server_id || ':' || md5(reason)`, `${d}.blocklist`, 'server_id')},
      (SELECT count(*) FROM ${d}.reputation_reports)::text,
      ${agg(`user_id || ':' || username || ':' || accept_policy`, `${a}.users`, 'user_id')},
      ${agg(`id::text`, `${a}.contacts`, 'id')},
      ${agg(`user_id || ':' || md5(address)`, `${a}.user_blocks`, 'user_id, address')},
      (SELECT count(*) || ':' || coalesce(max(id), 0) FROM ${a}.messages),
      (SELECT count(*) FROM ${a}.inbound_receipts)::text
    )) AS digest`;
  }

  async digest(): Promise<string> {
    const result = await this.client.query<{ digest: string }>(this.sql);
    return result.rows[0].digest;
  }
}

const TIMEOUT_MS = 20_000;

/** Sends one request; a failed connection is status 0 with the error's code. */
export async function send(
  request: FuzzRequest,
): Promise<Pick<FuzzOutcome, 'status' | 'error' | 'body'>> {
  const headers: Record<string, string> = {};
  if (request.contentType) headers['content-type'] = request.contentType;
  try {
    const response = await fetch(request.url, {
      method: request.method,
      headers,
      body: request.body,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    return { status: response.status, body: await response.text() };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    return { status: 0, error: cause?.code ?? (err as Error).name };
  }
}

/** Per-endpoint counts for the summary. */
export class FuzzSummary {
  private readonly rows = new Map<string, Map<string, number>>();
  readonly violations: { outcome: FuzzOutcome; kinds: Violation[] }[] = [];
  total = 0;

  record(outcome: FuzzOutcome): void {
    this.total++;
    const row = this.rows.get(outcome.request.endpoint) ?? new Map<string, number>();
    this.rows.set(outcome.request.endpoint, row);
    const status =
      outcome.status === 0 ? `reset${outcome.request.oversize ? '*' : ''}` : String(outcome.status);
    row.set(status, (row.get(status) ?? 0) + 1);
    row.set('cases', (row.get('cases') ?? 0) + 1);
    const kinds = violationsOf(outcome);
    if (kinds.length > 0) this.violations.push({ outcome, kinds });
  }

  count(kind: Violation): number {
    return this.violations.filter((v) => v.kinds.includes(kind)).length;
  }

  /** A Markdown table: cases, statuses and 5xx per endpoint, then the totals. */
  table(): string {
    const statuses = [...new Set([...this.rows.values()].flatMap((r) => [...r.keys()]))]
      .filter((s) => s !== 'cases')
      .sort();
    const lines = [
      `| endpoint | cases | ${statuses.join(' | ')} | 5xx |`,
      `|---|---:|${statuses.map(() => '---:').join('|')}|---:|`,
    ];
    for (const [endpoint, row] of [...this.rows].sort(([a], [b]) => a.localeCompare(b))) {
      const fivexx = [...row].filter(([s]) => /^5\d\d$/.test(s)).reduce((n, [, c]) => n + c, 0);
      lines.push(
        `| ${endpoint} | ${row.get('cases')} | ${statuses.map((s) => row.get(s) ?? 0).join(' | ')} | ${fivexx} |`,
      );
    }
    lines.push(
      '',
      `total ${this.total} cases; 5xx: ${this.count('5xx')}; resets outside oversize bodies: ${this.count('reset')}; ` +
        `4xx without the error shape: ${this.count('shape')}; refused requests that changed state: ${this.count('state')}` +
        ` (reset* = connection closed on an oversize body, allowed)`,
    );
    return lines.join('\n');
  }

  /** The first few violations, readable. */
  examples(max = 10): string[] {
    return this.violations.slice(0, max).map(({ outcome, kinds }) => {
      const body = (outcome.request.body ?? '').slice(0, 200);
      return `${kinds.join(',')} ${outcome.request.method} ${outcome.request.url.slice(0, 200)} [${outcome.request.mutation}] → ${outcome.status} ${outcome.error ?? ''} ${(outcome.body ?? '').slice(0, 200)} :: ${JSON.stringify(body)}`;
    });
  }
}
