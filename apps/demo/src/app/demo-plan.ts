/**
 * What the federation demo does, as plain data: which servers on which ports, which users
 * and contacts, which pages between whom, and how a run is judged. No I/O here; the
 * orchestration (`federation-demo.ts`) carries the plan out against real processes.
 */

/** One complete server of the demo (a discovery daemon and an adapter). */
export interface DemoServer {
  /** 0-based position; server 0 is the bootstrap server of the others. */
  index: number;
  /** `server-a`, `server-b`, ... (a single-label DNS name, as the protocol allows). */
  serverId: string;
  discoveryPort: number;
  adapterPort: number;
  /** Internal base URLs (`/api/v1`, `/health`) and the public ones of the announcement. */
  discoveryUrl: string;
  adapterUrl: string;
  publicDiscoveryUrl: string;
  publicFederationUrl: string;
  /** PostgreSQL database of this server in the demo's one embedded PostgreSQL. */
  database: string;
}

/** The two pager users registered on every server. */
export const DEMO_USERS = [
  { userId: 'oncall', username: 'oncall' },
  { userId: 'lead', username: 'lead' },
] as const;

export const MAX_DEMO_SERVERS = 20;

/**
 * Lays out `count` servers on `host`: daemon `basePort + i`, adapter `basePort + 100 + i`.
 * @throws RangeError when count is outside 2..20 or a port would exceed 65535.
 */
export function planServers(count: number, host: string, basePort: number): DemoServer[] {
  if (!Number.isInteger(count) || count < 2 || count > MAX_DEMO_SERVERS) {
    throw new RangeError(`--servers must be 2 to ${MAX_DEMO_SERVERS}, got ${count}`);
  }
  if (!Number.isInteger(basePort) || basePort < 1024 || basePort + 100 + count > 65535) {
    throw new RangeError(`--base-port must leave room for ${count} servers, got ${basePort}`);
  }
  return Array.from({ length: count }, (_, index) => {
    const serverId = `server-${String.fromCharCode(97 + index)}`;
    const discoveryPort = basePort + index;
    const adapterPort = basePort + 100 + index;
    const discoveryUrl = `http://${host}:${discoveryPort}`;
    const adapterUrl = `http://${host}:${adapterPort}`;
    return {
      index,
      serverId,
      discoveryPort,
      adapterPort,
      discoveryUrl,
      adapterUrl,
      publicDiscoveryUrl: `${discoveryUrl}/discovery`,
      publicFederationUrl: `${adapterUrl}/federation`,
      database: `demo_${serverId.replace('-', '_')}`,
    };
  });
}

/** The contact name under which `lead` of every server knows `oncall` of `serverId`. */
export function contactName(serverId: string): string {
  return `On-call at ${serverId}`;
}

/** Contacts of user `lead` on `server`: the on-call user of every other server. */
export function planContacts(
  servers: readonly DemoServer[],
  server: DemoServer,
): { name: string; pagerAddress: string }[] {
  return servers
    .filter((other) => other.index !== server.index)
    .map((other) => ({
      name: contactName(other.serverId),
      pagerAddress: `oncall@${other.serverId}`,
    }));
}

/** A page the demo sends: from a user of one server to a user of another. */
export interface PlannedPage {
  /** Unique within a run, e.g. `mesh:server-a->server-b:address`. */
  key: string;
  phase: 'mesh' | 'outage';
  from: number;
  senderUserId: string;
  /** As the sender types it: an address, or one of the sender's contact names. */
  to: string;
  recipient: number;
  recipientUserId: string;
  via: 'address' | 'contact';
  content: string;
}

/**
 * Every ordered pair of servers exchanges two pages: `oncall` pages `lead@<other>` by
 * address, and `lead` pages the other's on-call user by contact name.
 */
export function planMeshPages(servers: readonly DemoServer[]): PlannedPage[] {
  const pages: PlannedPage[] = [];
  for (const from of servers) {
    for (const to of servers) {
      if (from.index === to.index) continue;
      pages.push({
        key: `mesh:${from.serverId}->${to.serverId}:address`,
        phase: 'mesh',
        from: from.index,
        senderUserId: 'oncall',
        to: `lead@${to.serverId}`,
        recipient: to.index,
        recipientUserId: 'lead',
        via: 'address',
        content: `Disk 91% on db-${from.index + 1} (from ${from.serverId})`,
      });
      pages.push({
        key: `mesh:${from.serverId}->${to.serverId}:contact`,
        phase: 'mesh',
        from: from.index,
        senderUserId: 'lead',
        to: contactName(to.serverId),
        recipient: to.index,
        recipientUserId: 'oncall',
        via: 'contact',
        content: `Please take the ${to.serverId} incident, ${from.serverId} is swamped`,
      });
    }
  }
  return pages;
}

/** While server `down` is stopped, every other server pages its `lead` by address. */
export function planOutagePages(servers: readonly DemoServer[], down: number): PlannedPage[] {
  const target = servers[down];
  return servers
    .filter((from) => from.index !== down)
    .map((from) => ({
      key: `outage:${from.serverId}->${target.serverId}`,
      phase: 'outage' as const,
      from: from.index,
      senderUserId: 'oncall',
      to: `lead@${target.serverId}`,
      recipient: down,
      recipientUserId: 'lead',
      via: 'address' as const,
      content: `Sent while ${target.serverId} was down: call back when you are up`,
    }));
}

/** What became of one page, read back from both servers. */
export interface PageOutcome {
  page: PlannedPage;
  /** Null when the send itself was refused. */
  messageId: string | null;
  /** The sender's view: queued, sending, delivered, failed, rejected (or `send_failed`). */
  status: string;
  /** Milliseconds from the sender's `created_at` to its `delivered_at`, when delivered. */
  latencyMs: number | null;
  /** How many times the message id is in the recipient's inbox. */
  inboxCopies: number;
}

/** The figures of a run; `exactly_once` decides the exit code of `--once`. */
export interface DemoReport {
  servers: number;
  convergence_ms: number;
  pages: {
    planned: number;
    delivered: number;
    failed: number;
    waiting: number;
    duplicated: number;
    missing: number;
  };
  outage: { server: string; pages: number; delivered: number } | null;
  /** send → delivered of the pages sent while every server was up. */
  latency_ms: { p50: number | null; p99: number | null };
  exactly_once: boolean;
}

/** Nearest-rank percentile of `values` (ms); null for none. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

const WAITING = new Set(['queued', 'sending']);

/**
 * Judges a run: every planned page delivered (sender says so) and in the recipient's
 * inbox exactly once.
 */
export function summarize(
  servers: readonly DemoServer[],
  outcomes: readonly PageOutcome[],
  convergenceMs: number,
  outageServer: number | null,
): DemoReport {
  const delivered = outcomes.filter((o) => o.status === 'delivered');
  const outagePages = outcomes.filter((o) => o.page.phase === 'outage');
  // Latency of pages sent while every server was up; the outage's pages waited on purpose.
  const latencies = delivered
    .filter((o) => o.page.phase === 'mesh')
    .flatMap((o) => (o.latencyMs === null ? [] : [o.latencyMs]));
  const pages = {
    planned: outcomes.length,
    delivered: delivered.length,
    failed: outcomes.filter((o) => o.status !== 'delivered' && !WAITING.has(o.status)).length,
    waiting: outcomes.filter((o) => WAITING.has(o.status)).length,
    duplicated: outcomes.filter((o) => o.inboxCopies > 1).length,
    missing: outcomes.filter((o) => o.inboxCopies === 0).length,
  };
  return {
    servers: servers.length,
    convergence_ms: convergenceMs,
    pages,
    outage:
      outageServer === null
        ? null
        : {
            server: servers[outageServer].serverId,
            pages: outagePages.length,
            delivered: outagePages.filter((o) => o.status === 'delivered').length,
          },
    latency_ms: { p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
    exactly_once:
      outcomes.length > 0 && outcomes.every((o) => o.status === 'delivered' && o.inboxCopies === 1),
  };
}

/** The report as a few aligned lines for a terminal. */
export function formatReport(report: DemoReport, servers: readonly DemoServer[]): string {
  const ms = (v: number | null) => (v === null ? 'n/a' : `${v} ms`);
  const p = report.pages;
  const lines = [
    `Federation of ${report.servers} servers`,
    `  converged (every daemon knows every other) in ${ms(report.convergence_ms)}`,
    `  pages: ${p.planned} sent, ${p.delivered} delivered, ${p.failed} failed, ${p.waiting} waiting; ` +
      `${p.duplicated} duplicated, ${p.missing} missing from an inbox`,
    `  send → delivered (all servers up): p50 ${ms(report.latency_ms.p50)}, p99 ${ms(report.latency_ms.p99)}`,
  ];
  if (report.outage) {
    lines.push(
      `  outage: ${report.outage.server} stopped, ${report.outage.pages} pages sent to it, ` +
        `${report.outage.delivered} delivered after it came back`,
    );
  }
  lines.push(
    report.exactly_once
      ? '  every page delivered exactly once'
      : '  NOT every page was delivered exactly once',
    '',
    'Servers (status pages need the internal API, loopback only):',
    ...servers.map(
      (s) =>
        `  ${s.serverId.padEnd(10)} discovery ${s.discoveryUrl}  adapter ${s.adapterUrl}  status ${s.adapterUrl}/status`,
    ),
  );
  return lines.join('\n');
}
