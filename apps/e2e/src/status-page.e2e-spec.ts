import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrowserContext, Page, chromium } from 'playwright-core';
import { AdapterApiClient } from '@pager/internal-api';
import { REPO_ROOT, TestServer, call, eventually } from '@pager/testing';

/**
 * The adapter's status page in a real headless Chromium (Debian's `chromium`, driven by
 * playwright-core; no browser is downloaded), against two running servers: it renders peers
 * and destinations, its Stop button stops delivery to status-b, a hostile reason is shown
 * as text, nothing breaks the page's CSP, and a screenshot is written to apps/e2e/output/.
 * Loopback range of this file: 127.0.1.20 – 127.0.1.29.
 */
const CHROMIUM = '/usr/bin/chromium';
const TOKEN = 'status-page-e2e-token-0123456789';
const OUTPUT = join(REPO_ROOT, 'apps', 'e2e', 'output');
const HOSTILE_REASON = `<img src=x onerror="window.__pwned=1">maintenance <b>until 3am</b> & "more"`;

describe('status page in headless Chromium', () => {
  const a = new TestServer({
    serverId: 'status-a',
    host: '127.0.1.20',
    env: { INTERNAL_API_TOKEN: TOKEN, ACK_TIMEOUT_MS: '1500', RETRY_DELAY_MS: '1000' },
  });
  const b = new TestServer({
    serverId: 'status-b',
    host: '127.0.1.21',
    env: { BOOTSTRAP_SERVERS: 'http://127.0.1.20:4100/discovery' },
  });
  const userDataDir = mkdtempSync(join(tmpdir(), 'pager-chromium-'));
  let context: BrowserContext;
  let page: Page;
  const cspViolations: string[] = [];
  const pageErrors: string[] = [];

  const adapterA = () =>
    new AdapterApiClient({ baseUrl: a.adapter!.baseUrl, token: TOKEN, timeoutMs: 5000 });

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`);
    mkdirSync(OUTPUT, { recursive: true });
    await a.start();
    await b.start();
    await adapterA().registerUser('u-taylor', 'taylor');
    await call(b.adapter!.baseUrl, 'POST', '/api/v1/users', {
      user_id: 'u-alex',
      username: 'alex',
    });
    await eventually(
      async () =>
        (
          await call(a.discovery.baseUrl, 'POST', '/api/v1/route/status-b', undefined, {
            authorization: `Bearer ${TOKEN}`,
          })
        ).status === 200,
      30_000,
      'status-a to resolve status-b',
    );
    const sent = await adapterA().send({
      sender_user_id: 'u-taylor',
      to: 'alex@status-b',
      content: 'status page test',
    });
    await eventually(
      async () => (await adapterA().message(sent.message_id)).status === 'delivered',
      30_000,
      'the first page to be delivered',
    );
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      extraHTTPHeaders: { authorization: `Bearer ${TOKEN}` },
      viewport: { width: 1280, height: 900 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (message) => {
      if (/Content.Security.Policy|Refused to/i.test(message.text()))
        cspViolations.push(message.text());
    });
    page.on('pageerror', (err) => pageErrors.push(err.message));
  });

  afterAll(async () => {
    await context?.close();
    rmSync(userDataDir, { recursive: true, force: true });
    await b.stop();
    await a.stop();
  });

  it('is behind the internal API rule: 401 without the token', async () => {
    const refused = await call(a.adapter!.baseUrl, 'GET', '/status');
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ error: 'unauthorized' });
  });

  it('renders identity, health, peers and destinations of the two-server setup', async () => {
    const response = await page.goto(`${a.adapter!.baseUrl}/status`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toMatch(/script-src 'nonce-/);
    await expect(page.locator('#server-id').textContent()).resolves.toBe('status-a');
    await expect(page.locator('#health-adapter .badge').textContent()).resolves.toBe('ready');
    await expect(page.locator('#health-discovery .badge').textContent()).resolves.toBe('ready');
    const peer = page.locator('tr[data-peer="status-b"]');
    await expect(peer.count()).resolves.toBe(1);
    await expect(peer.locator('td').first().textContent()).resolves.toBe('status-b');
    const destination = page.locator('tr[data-destination="status-b"]');
    await expect(destination.locator('.state').textContent()).resolves.toBe('healthy');
    expect(cspViolations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('stops delivery with the Stop button; the hostile reason is shown as text', async () => {
    const row = page.locator('tr[data-destination="status-b"]');
    await row.locator('input[name=reason]').fill(HOSTILE_REASON);
    await Promise.all([
      page.waitForEvent('load', { timeout: 15_000 }),
      row.locator('button[data-action=stop]').click(),
    ]);
    const stopped = page.locator('tr[data-destination="status-b"]');
    await expect(stopped.locator('.state').textContent()).resolves.toBe('stopped');
    await expect(stopped.locator('.reason').textContent()).resolves.toBe(HOSTILE_REASON);
    await expect(stopped.locator('.reason img, .reason b').count()).resolves.toBe(0);
    await expect(page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).resolves.toBe(
      undefined,
    );
    // the API agrees
    await expect(adapterA().destination('status-b')).resolves.toMatchObject({
      state: 'stopped',
      reason: HOSTILE_REASON,
    });
    const screenshot = join(OUTPUT, 'status-page.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    expect(statSync(screenshot).size).toBeGreaterThan(10_000);
    expect(cspViolations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('shows a refused action as a notice, and resumes with the Resume button', async () => {
    const row = page.locator('tr[data-destination="status-b"]');
    await Promise.all([
      page.waitForEvent('load', { timeout: 15_000 }),
      row.locator('button[data-action=resume]').click(),
    ]);
    await expect(
      page.locator('tr[data-destination="status-b"] .state').textContent(),
    ).resolves.not.toBe('stopped');
    // a Stop without a reason is refused in the page, before any request
    await page.locator('tr[data-destination="status-b"] button[data-action=stop]').click();
    await expect(page.locator('#notice').textContent()).resolves.toContain('needs a reason');
    await expect(adapterA().destination('status-b')).resolves.not.toMatchObject({
      state: 'stopped',
    });
  });

  it('refuses the action endpoint to a cross-site request', async () => {
    const forged = await call(
      a.adapter!.baseUrl,
      'POST',
      '/status/actions',
      { action: 'stop', server_id: 'status-b', reason: 'csrf' },
      {
        authorization: `Bearer ${TOKEN}`,
        'x-status-action': '1',
        origin: 'http://evil.example',
      },
    );
    expect(forged.status).toBe(401);
    await expect(adapterA().destination('status-b')).resolves.not.toMatchObject({
      state: 'stopped',
    });
  });

  it('serves Swagger UI at /docs from local assets', async () => {
    await page.goto(`${a.adapter!.baseUrl}/docs`);
    await page.locator('.swagger-ui .information-container').waitFor({ timeout: 20_000 });
    await expect(page.locator('#swagger-ui').textContent()).resolves.toContain('/api/v1/messages');
    await page.screenshot({ path: join(OUTPUT, 'docs.png') });
  });
});
