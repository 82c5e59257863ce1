import { startEmbeddedPostgres } from '@pager/server-kit';
import { ServiceProcess, call } from '@pager/testing';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import {
  DEMO_USERS,
  DemoReport,
  DemoServer,
  PageOutcome,
  PlannedPage,
  planContacts,
  planMeshPages,
  planOutagePages,
  planServers,
  summarize,
} from './demo-plan';
import { ProgressDisplay, ProgressSnapshot } from './progress-display';

/** How a demo run is set up (`npm run demo -- --help` lists the flags). */
export interface DemoOptions {
  servers: number;
  host: string;
  basePort: number;
  /** How long (ms) one server stays stopped while pages are sent to it. */
  outageMs: number;
  /** Deadline (ms) for each phase: convergence, mesh delivery, outage delivery. */
  phaseTimeoutMs: number;
  /** Everything of the run (PostgreSQL, keys, logs); emptied at start. */
  dataDir: string;
  /** Where `dist/apps/{discovery,adapter}/main.js` are. */
  repoRoot: string;
}

/** Timers short enough to watch, and limits high enough for a mesh on one machine. */
const DEMO_ENV: Record<string, string> = {
  ALLOW_PRIVATE_ENDPOINTS: 'true',
  GOSSIP_INTERVAL_MS: '1000',
  GOSSIP_JITTER_MS: '500',
  ACK_TIMEOUT_MS: '3000',
  RETRY_DELAY_MS: '2000',
  DELIVERY_ATTEMPTS: '3',
  // A stopped server becomes `unreachable` after two failed attempts; its pages then wait
  // without spending attempts, and a probe each second finds it back (docs/operations.md).
  DELIVERY_BREAKER_THRESHOLD: '2',
  DELIVERY_PROBE_INTERVAL_MS: '1000',
  RATE_LIMIT_GOSSIP_PER_HOUR: '1000000',
  RATE_LIMIT_QUERIES_PER_HOUR: '1000000',
  RATE_LIMIT_MESSAGES_PER_HOUR: '1000000',
  DATABASE_POOL_MAX: '4',
  LOG_LEVEL: 'info',
};

interface RunningServer {
  plan: DemoServer;
  discovery: ServiceProcess;
  adapter: ServiceProcess;
  up: boolean;
}

interface SentPage {
  page: PlannedPage;
  messageId: string | null;
  status: string;
  latencyMs: number | null;
}

const FINAL = new Set(['delivered', 'failed', 'rejected', 'send_failed']);

/**
 * N complete servers on loopback on one embedded PostgreSQL (a database each), bootstrapping
 * from the first; users and contacts on each; pages between every pair by address and by
 * contact name; then one server stopped, paged and restarted. Real processes from `dist/`,
 * real HTTP, real signatures.
 */
export class FederationDemo {
  private readonly plans: DemoServer[];
  private readonly running: RunningServer[] = [];
  private readonly sent: SentPage[] = [];
  private stopDatabase: (() => Promise<void>) | undefined;
  private phase = 'starting';
  private peersKnown = new Map<string, number>();
  private ticker: NodeJS.Timeout | undefined;

  constructor(
    private readonly options: DemoOptions,
    private readonly display = new ProgressDisplay(),
  ) {
    this.plans = planServers(options.servers, options.host, options.basePort);
  }

  /** Runs every phase and returns the report; the servers keep running until `stop()`. */
  async run(): Promise<DemoReport> {
    rmSync(this.options.dataDir, { recursive: true, force: true });
    mkdirSync(this.options.dataDir, { recursive: true });
    this.ticker = setInterval(() => void this.refresh(), 1000);

    this.setPhase(`starting PostgreSQL and ${this.plans.length} servers`);
    const database = await startEmbeddedPostgres(join(this.options.dataDir, 'postgres'));
    this.stopDatabase = database.stop;
    await createDatabases(
      database.url,
      this.plans.map((p) => p.database),
    );
    for (const plan of this.plans) this.running.push(this.prepare(plan, database.url));
    // Daemons first (the adapter asks its daemon for routes), all at once; convergence is
    // timed from the moment every daemon is ready, while the adapters start.
    await Promise.all(this.running.map((s) => s.discovery.start()));
    for (const s of this.running) s.up = true;
    const convergenceStart = Date.now();
    const convergence = this.until(() => this.converged(), 'every daemon knows every other').then(
      () => Date.now() - convergenceStart,
    );
    await Promise.all(this.running.map((s) => s.adapter.start()));

    this.setPhase('gossip: waiting for every daemon to know every other');
    const convergenceMs = await convergence;
    this.display.note(`converged in ${convergenceMs} ms`);

    this.setPhase('registering users and contacts');
    await this.registerUsers();

    this.setPhase('paging between every pair of servers');
    await this.sendAll(planMeshPages(this.plans));
    await this.until(() => this.allFinal(), 'every page delivered or failed');

    const down = this.plans.length - 1;
    const target = this.running[down];
    this.setPhase(`outage: ${target.plan.serverId} stopped`);
    await target.adapter.stop();
    await target.discovery.stop();
    target.up = false;
    await this.sendAll(planOutagePages(this.plans, down));
    await new Promise((r) => setTimeout(r, this.options.outageMs));
    this.setPhase(`outage: ${target.plan.serverId} restarting`);
    await target.discovery.start();
    await target.adapter.start();
    target.up = true;
    this.setPhase(`outage: waiting for the pages to ${target.plan.serverId}`);
    await this.until(() => this.allFinal(), 'every page delivered or failed');

    this.setPhase('checking every inbox');
    const outcomes = await this.outcomes();
    clearInterval(this.ticker);
    await this.refresh();
    return summarize(this.plans, outcomes, convergenceMs, down);
  }

  /** Stops every service, then PostgreSQL. */
  async stop(): Promise<void> {
    clearInterval(this.ticker);
    await Promise.all(
      this.running.map(async (s) => {
        await s.adapter.stop();
        await s.discovery.stop();
      }),
    );
    await this.stopDatabase?.();
  }

  /** The servers of the run, as planned. */
  get servers(): readonly DemoServer[] {
    return this.plans;
  }

  /** Where the logs of the run are, for a failing run. */
  get logDir(): string {
    return this.options.dataDir;
  }

  private prepare(plan: DemoServer, databaseUrl: string): RunningServer {
    const dir = join(this.options.dataDir, plan.serverId);
    mkdirSync(dir, { recursive: true });
    const url = new URL(databaseUrl);
    url.pathname = `/${plan.database}`;
    const bootstrap = this.plans[0];
    const env: Record<string, string> = {
      ...DEMO_ENV,
      SERVER_ID: plan.serverId,
      BIND_ADDRESS: this.options.host,
      DISCOVERY_PORT: String(plan.discoveryPort),
      ADAPTER_PORT: String(plan.adapterPort),
      DISCOVERY_PUBLIC_URL: plan.publicDiscoveryUrl,
      FEDERATION_PUBLIC_URL: plan.publicFederationUrl,
      DISCOVERY_INTERNAL_URL: plan.discoveryUrl,
      DATA_DIR: dir,
      DATABASE_URL: url.toString(),
      ...(plan.index === 0 ? {} : { BOOTSTRAP_SERVERS: bootstrap.publicDiscoveryUrl }),
    };
    const service = (name: 'discovery' | 'adapter', baseUrl: string) =>
      new ServiceProcess({
        service: name,
        baseUrl,
        env,
        logFile: join(dir, `${name}.log`),
        readyTimeoutMs: 120_000,
        repoRoot: this.options.repoRoot,
      });
    return {
      plan,
      discovery: service('discovery', plan.discoveryUrl),
      adapter: service('adapter', plan.adapterUrl),
      up: false,
    };
  }

  private async registerUsers(): Promise<void> {
    await Promise.all(
      this.running.map(async ({ plan }) => {
        for (const user of DEMO_USERS) {
          await expectStatus(
            call(plan.adapterUrl, 'POST', '/api/v1/users', {
              user_id: user.userId,
              username: user.username,
            }),
            201,
            `register ${user.username}@${plan.serverId}`,
          );
        }
        for (const contact of planContacts(this.plans, plan)) {
          await expectStatus(
            call(plan.adapterUrl, 'POST', '/api/v1/users/lead/contacts', {
              name: contact.name,
              pager_address: contact.pagerAddress,
            }),
            201,
            `add contact ${contact.name} on ${plan.serverId}`,
          );
        }
      }),
    );
  }

  private async sendAll(pages: PlannedPage[]): Promise<void> {
    await Promise.all(
      pages.map(async (page) => {
        const sender = this.plans[page.from];
        const response = await call(sender.adapterUrl, 'POST', '/api/v1/messages', {
          sender_user_id: page.senderUserId,
          to: page.to,
          content: page.content,
          priority: 2,
        });
        const ok = response.status === 201 || response.status === 202;
        if (!ok) {
          this.display.note(
            `send ${page.key} refused: ${response.status} ${JSON.stringify(response.body)}`,
          );
        }
        this.sent.push({
          page,
          messageId: ok ? String(response.body.message_id) : null,
          status: ok ? String(response.body.status) : 'send_failed',
          latencyMs: null,
        });
      }),
    );
  }

  /** Reads the sender's state of every page not final yet; true when all are final. */
  private async allFinal(): Promise<boolean> {
    await Promise.all(
      this.sent
        .filter((s) => !FINAL.has(s.status) && s.messageId !== null)
        .map(async (s) => {
          const sender = this.running[s.page.from];
          if (!sender.up) return;
          const response = await call(
            sender.plan.adapterUrl,
            'GET',
            `/api/v1/messages/${s.messageId}`,
          );
          if (response.status !== 200) return;
          s.status = String(response.body.status);
          if (response.body.delivered_at) {
            s.latencyMs =
              Date.parse(response.body.delivered_at) - Date.parse(response.body.created_at);
          }
        }),
    );
    return this.sent.every((s) => FINAL.has(s.status));
  }

  private async converged(): Promise<boolean> {
    await this.readPeers();
    return this.running.every(
      (s) => this.peersKnown.get(s.plan.serverId) === this.plans.length - 1,
    );
  }

  private async readPeers(): Promise<void> {
    await Promise.all(
      this.running
        .filter((s) => s.up)
        .map(async (s) => {
          try {
            const response = await call(s.plan.discoveryUrl, 'GET', '/api/v1/peers');
            if (response.status !== 200) return;
            const ids = new Set(
              (response.body.peers as { server_id: string }[])
                .map((p) => p.server_id)
                .filter((id) => id !== s.plan.serverId),
            );
            this.peersKnown.set(s.plan.serverId, ids.size);
          } catch {
            // restarting: keep the last figure
          }
        }),
    );
  }

  /** Counts each page's copies in its recipient's inbox. */
  private async outcomes(): Promise<PageOutcome[]> {
    const inboxes = new Map<string, string[]>();
    for (const s of this.running) {
      for (const user of DEMO_USERS) {
        const response = await call(
          s.plan.adapterUrl,
          'GET',
          `/api/v1/users/${user.userId}/messages?box=inbox&limit=200`,
        );
        const ids =
          response.status === 200
            ? (response.body.messages as { message_id: string }[]).map((m) => m.message_id)
            : [];
        inboxes.set(`${s.plan.index}:${user.userId}`, ids);
      }
    }
    return this.sent.map((s) => ({
      page: s.page,
      messageId: s.messageId,
      status: s.status,
      latencyMs: s.latencyMs,
      inboxCopies:
        s.messageId === null
          ? 0
          : (inboxes.get(`${s.page.recipient}:${s.page.recipientUserId}`) ?? []).filter(
              (id) => id === s.messageId,
            ).length,
    }));
  }

  private async until(check: () => Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + this.options.phaseTimeoutMs;
    while (Date.now() < deadline) {
      if (await check().catch(() => false)) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(
      `timed out after ${this.options.phaseTimeoutMs} ms waiting until ${what} (logs in ${this.logDir})`,
    );
  }

  private setPhase(phase: string): void {
    this.phase = phase;
    this.display.show(this.snapshot());
  }

  private async refresh(): Promise<void> {
    await this.readPeers().catch(() => undefined);
    this.display.show(this.snapshot());
  }

  private snapshot(): ProgressSnapshot {
    return {
      phase: this.phase,
      servers: this.plans.map((plan) => ({
        serverId: plan.serverId,
        ready: this.running[plan.index]?.up ?? false,
        peersKnown: this.peersKnown.get(plan.serverId) ?? null,
      })),
      pages: {
        delivered: this.sent.filter((s) => s.status === 'delivered').length,
        waiting: this.sent.filter((s) => !FINAL.has(s.status)).length,
        failed: this.sent.filter((s) => FINAL.has(s.status) && s.status !== 'delivered').length,
      },
    };
  }
}

/** Creates each database of the demo in the embedded PostgreSQL (`url` names any database). */
async function createDatabases(url: string, names: string[]): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    for (const name of names) {
      if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`bad database name ${name}`);
      await client.query(`CREATE DATABASE "${name}"`);
    }
  } finally {
    await client.end();
  }
}

async function expectStatus(
  pending: Promise<{ status: number; body: unknown }>,
  status: number,
  what: string,
): Promise<void> {
  const response = await pending;
  if (response.status !== status) {
    throw new Error(`${what}: ${response.status} ${JSON.stringify(response.body)}`);
  }
}
