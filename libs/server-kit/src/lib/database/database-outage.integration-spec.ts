import { Body, Controller, DynamicModule, Get, Inject, Module, Post, Query } from '@nestjs/common';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { loadCommonConfig } from '../config/common-config';
import { PlatformModule } from '../platform.module';
import { RunningService, ServiceDefinition, startService } from '../service-runner';
import { CommonConfig } from '../config/common-config';
import { ControlledPostgres } from './controlled-postgres';
import { freeLoopbackPort } from './embedded-postgres';

/**
 * A service on a PostgreSQL of its own that the test stops and starts: every request made
 * while the database is away gets 503 with Retry-After (never 500), and the outage is
 * logged once when it starts and once when it ends.
 */
@Controller('api/v1/probe')
class ProbeController {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  @Get('read')
  async read(): Promise<{ n: number }> {
    const rows = await this.dataSource.query('SELECT count(*)::int AS n FROM pg_class');
    return { n: rows[0].n };
  }

  @Post('text')
  async text(@Body() body: { text: string }): Promise<{ text: string }> {
    const rows = await this.dataSource.query('SELECT $1::text AS text', [body.text]);
    return { text: rows[0].text };
  }

  @Get('sleep')
  async sleep(@Query('ms') ms: string): Promise<{ slept: number }> {
    await this.dataSource.query('SELECT pg_sleep($1)', [Number(ms) / 1000]);
    return { slept: Number(ms) };
  }
}

function probeService(connectionTimeoutMs?: number): ServiceDefinition<CommonConfig> {
  return {
    name: 'adapter',
    title: 'probe',
    loadConfig: (env) => loadCommonConfig('adapter', env),
    port: (config) => config.adapterPort,
    database: { entities: [], migrations: [], connectionTimeoutMs },
    bodyLimits: { default: 65_536 },
    createModule: (deps): DynamicModule => {
      @Module({ imports: [PlatformModule.forRoot(deps)], controllers: [ProbeController] })
      class ProbeModule {}
      return { module: ProbeModule };
    },
  };
}

jest.setTimeout(120_000);

describe('database outages over HTTP', () => {
  let database: ControlledPostgres;
  const services: RunningService<CommonConfig>[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'pager-outage-'));

  beforeAll(async () => {
    database = await ControlledPostgres.start();
  });
  afterAll(async () => {
    for (const service of services) await service.close().catch(() => undefined);
    await database?.close();
  });

  async function start(env: Record<string, string>, connectionTimeoutMs?: number) {
    const lines: string[] = [];
    const port = await freeLoopbackPort();
    const service = await startService(
      probeService(connectionTimeoutMs),
      {
        SERVER_ID: 'probe.test',
        ADAPTER_PORT: String(port),
        DATABASE_URL: database.url,
        DATABASE_SCHEMA: `probe_${services.length}`,
        DATA_DIR: join(dir, `data-${services.length}`),
        LOG_LEVEL: 'info',
        ...env,
      },
      { writeLog: (line) => lines.push(line) },
    );
    services.push(service);
    const events = (name: string) =>
      lines.map((l) => JSON.parse(l)).filter((record) => record.event === name);
    return { base: `http://127.0.0.1:${port}`, events };
  }

  async function get(url: string) {
    const response = await fetch(url);
    return {
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      body: (await response.json()) as { error?: string },
    };
  }

  it('answers 503 with Retry-After while the database is stopped, 200 again after, never 500', async () => {
    const { base, events } = await start({});
    const statuses = new Map<number, number>();
    const badBodies: unknown[] = [];
    let running = true;
    const worker = async () => {
      while (running) {
        const res = await get(`${base}/api/v1/probe/read`);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status !== 200) {
          if (res.status !== 503 || res.body.error !== 'service_unavailable' || !res.retryAfter) {
            badBodies.push(res);
          }
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    };
    const load = Promise.all(Array.from({ length: 6 }, worker));
    await new Promise((r) => setTimeout(r, 1_000));
    await database.stop();
    await new Promise((r) => setTimeout(r, 500));
    const ready = await get(`${base}/health/ready`);
    await new Promise((r) => setTimeout(r, 2_500));
    await database.start();
    // The probe notices within a second; clients see 200 again.
    await new Promise((r) => setTimeout(r, 3_000));
    running = false;
    await load;
    const seen = Object.fromEntries(statuses);
    process.stdout.write(`database stop under load: statuses ${JSON.stringify(seen)}\n`);
    expect(ready.status).toBe(503);
    expect(badBodies).toEqual([]);
    expect(Object.keys(seen).sort()).toEqual(['200', '503']);
    expect((await get(`${base}/api/v1/probe/read`)).status).toBe(200);
    expect(events('database.unavailable')).toHaveLength(1);
    // The end is logged once a probe succeeds and 5 s passed without a failure.
    for (let i = 0; i < 100 && events('database.recovered').length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(events('database.recovered')).toHaveLength(1);
    expect(events('database.recovered')[0].total).toBe(seen[503]);
    expect(events('http.internal_error')).toHaveLength(0);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(
      new RegExp(
        `pager_database_errors_total\\{kind="unavailable",service="adapter"\\} ${seen[503]}`,
      ),
    );
    expect(metrics).toMatch(/pager_database_available\{service="adapter"\} 1/);
  });

  it('a statement over DATABASE_STATEMENT_TIMEOUT_MS is cancelled and answered 503', async () => {
    const { base } = await start({ DATABASE_STATEMENT_TIMEOUT_MS: '300' });
    const started = Date.now();
    const res = await get(`${base}/api/v1/probe/sleep?ms=3000`);
    expect(res.status).toBe(503);
    expect(res.body.error).toBe('service_unavailable');
    expect(Date.now() - started).toBeLessThan(2_500);
    expect((await get(`${base}/api/v1/probe/sleep?ms=10`)).status).toBe(200);
  });

  it('an exhausted pool (DATABASE_POOL_MAX) answers 503 to whoever waited too long', async () => {
    const { base } = await start({ DATABASE_POOL_MAX: '2' }, 300);
    expect((await get(`${base}/api/v1/probe/read`)).status).toBe(200);
    const results = await Promise.all(
      Array.from({ length: 6 }, () => get(`${base}/api/v1/probe/sleep?ms=1000`)),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 503, 503, 503, 503]);
    expect(results.filter((r) => r.status === 503).every((r) => r.retryAfter !== null)).toBe(true);
  });

  it('text PostgreSQL cannot store (U+0000) is 400 validation_failed, not 500', async () => {
    const { base } = await start({});
    const response = await fetch(`${base}/api/v1/probe/text`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'a\u0000b' }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe('validation_failed');
  });
});
