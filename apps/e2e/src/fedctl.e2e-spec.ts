import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  BlocklistAnswer,
  BoxAnswer,
  Destination,
  DestinationsAnswer,
  MessageStateAnswer,
  PeerFile,
  PeersAnswer,
  ReputationAnswer,
  RouteAnswer,
  SendMessageAnswer,
  UserAnswer,
} from '@pager/internal-api';
import { fingerprint, parsePrivateKey } from '@pager/protocol';
import { REPO_ROOT, TestServer, eventually } from '@pager/testing';
import { createPublicKey } from 'node:crypto';

/**
 * fedctl (dist/apps/fedctl/main.js) as an operator runs it, against two real servers:
 * fedctl-a behind an internal API token (given to fedctl in a file), fedctl-b bootstrapping
 * from it. Every command's `--json` output is parsed, error paths give their documented exit
 * codes with a one-line error. Loopback range of this file: 127.0.1.10 – 127.0.1.19.
 */
const TOKEN = 'fedctl-e2e-token-0123456789';
const FEDCTL = join(REPO_ROOT, 'dist', 'apps', 'fedctl', 'main.js');
const NOBODY = 'http://127.0.1.19:4999'; // nothing listens there

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed per test
  json: any;
}

describe('fedctl against two running servers', () => {
  const a = new TestServer({
    serverId: 'fedctl-a',
    host: '127.0.1.10',
    env: { INTERNAL_API_TOKEN: TOKEN, ACK_TIMEOUT_MS: '1500', RETRY_DELAY_MS: '1000' },
  });
  const b = new TestServer({
    serverId: 'fedctl-b',
    host: '127.0.1.11',
    env: { BOOTSTRAP_SERVERS: 'http://127.0.1.10:4100/discovery' },
  });
  const work = mkdtempSync(join(tmpdir(), 'pager-fedctl-'));
  const tokenFile = join(work, 'token');

  /** fedctl as a child process; `env` adds to (or, with undefined, removes from) the base. */
  function fedctl(
    args: string[],
    server: 'a' | 'b' = 'a',
    env: Record<string, string | undefined> = {},
  ): Promise<Run> {
    const s = server === 'a' ? a : b;
    const base: Record<string, string | undefined> = {
      PATH: process.env.PATH,
      FEDCTL_DISCOVERY_URL: s.discovery.baseUrl,
      FEDCTL_ADAPTER_URL: s.adapter!.baseUrl,
      FEDCTL_TOKEN_FILE: server === 'a' ? tokenFile : undefined,
      ...env,
    };
    const clean = Object.fromEntries(Object.entries(base).filter(([, v]) => v !== undefined));
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [FEDCTL, ...args],
        { env: clean as NodeJS.ProcessEnv, timeout: 30_000 },
        (err, stdout, stderr) => {
          const code = err ? ((err as { code?: number }).code ?? -1) : 0;
          let json: unknown;
          try {
            json = JSON.parse(stdout);
          } catch {
            json = undefined;
          }
          resolve({ code: typeof code === 'number' ? code : -1, stdout, stderr, json });
        },
      );
    });
  }

  /** A failed command: its code, one line on stderr, `{ error, message }` on stdout. */
  function expectRefused(run: Run, code: number, error: string): void {
    expect({ code: run.code, error: run.json?.error }).toEqual({ code, error });
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^fedctl: /);
  }

  beforeAll(async () => {
    writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
    await a.start();
    await b.start();
  });

  afterAll(async () => {
    await b.stop();
    await a.stop();
  });

  it('status: healthy fedctl-a with its fingerprint, exit 0', async () => {
    const run = await fedctl(['status', '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const key = parsePrivateKey(readFileSync(join(a.dataDir, 'server-key.pem'), 'utf8'));
    expect(run.json).toMatchObject({
      health: 'healthy',
      server_id: 'fedctl-a',
      fingerprint: fingerprint(createPublicKey(key)),
      discovery: 'ready',
      adapter: 'ready',
      problems: [],
    });
    const human = await fedctl(['status']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^health\s+healthy$/m);
    expect(human.stdout).toMatch(/^server\s+fedctl-a$/m);
    expect(human.stdout).not.toContain('\u001b'); // not a TTY: no colour
  });

  it('status: degraded (exit 1) when the token is wrong, unreachable (exit 2) when a service is down', async () => {
    const wrong = await fedctl(['status', '--json'], 'a', {
      FEDCTL_TOKEN_FILE: undefined,
      FEDCTL_TOKEN: 'not-the-token',
    });
    expect(wrong.code).toBe(1);
    expect(wrong.json.health).toBe('degraded');
    expect(wrong.json.problems.join(' ')).toContain('401 unauthorized');
    const down = await fedctl(['status', '--json'], 'a', { FEDCTL_ADAPTER_URL: NOBODY });
    expect(down.code).toBe(2);
    expect(down.json).toMatchObject({ health: 'unreachable', adapter: 'unreachable' });
  });

  it('any command: exit 2 with one line when the service cannot be reached', async () => {
    const run = await fedctl(['--json', 'peers'], 'a', { FEDCTL_DISCOVERY_URL: NOBODY });
    expectRefused(run, 2, 'unreachable');
    expect(run.stderr).toContain('ECONNREFUSED');
  });

  it('usage errors exit 64 before anything is sent', async () => {
    for (const args of [
      ['stop', 'fedctl-b'], // --reason is required
      ['destinations', '--state', 'sleeping'],
      ['send', 'u1', 'x', 'hi', '--priority', 'high'],
      ['frobnicate'],
    ]) {
      const run = await fedctl(args);
      expect({ args, code: run.code }).toEqual({ args, code: 64 });
      expect(run.stderr).toMatch(/error: /);
    }
    const badToken = await fedctl(['peers'], 'a', { FEDCTL_TOKEN_FILE: join(work, 'missing') });
    expect(badToken.code).toBe(64);
    expect(badToken.stderr).toMatch(/^fedctl: cannot read token file .*missing/);
  });

  it('users add, contacts add, send, message, inbox: a page from fedctl-a to fedctl-b', async () => {
    const taylor = await fedctl(['--json', 'users', 'add', 'u-taylor', 'taylor']);
    expect(taylor.code).toBe(0);
    expect(taylor.json as UserAnswer).toEqual({
      user_id: 'u-taylor',
      username: 'taylor',
      address: 'taylor@fedctl-a',
    });
    expectRefused(
      await fedctl(['--json', 'users', 'add', 'u-taylor', 'taylor']),
      3,
      'user_already_registered',
    );
    expect((await fedctl(['users', 'add', 'u-alex', 'alex'], 'b')).code).toBe(0);

    const contact = await fedctl([
      '--json',
      'contacts',
      'add',
      'u-taylor',
      'Alex',
      'alex@fedctl-b',
    ]);
    expect(contact.code).toBe(0);
    expect(contact.json).toMatchObject({ name: 'Alex', pager_address: 'alex@fedctl-b' });
    expectRefused(
      await fedctl(['--json', 'contacts', 'add', 'u-taylor', 'Bad', 'not an address']),
      3,
      'invalid_address',
    );

    await eventually(
      async () => (await fedctl(['route', 'fedctl-b'])).code === 0,
      30_000,
      'fedctl-a to resolve fedctl-b',
    );
    const sent = await fedctl([
      '--json',
      'send',
      'u-taylor',
      'Alex',
      'disk full <b>now</b>',
      '--priority',
      '2',
    ]);
    expect(sent.code).toBe(0);
    const answer = sent.json as SendMessageAnswer;
    expect(answer).toMatchObject({ status: 'queued', to: 'alex@fedctl-b' });

    const delivered = await eventually(
      async () => {
        const state = (await fedctl(['--json', 'message', answer.message_id]))
          .json as MessageStateAnswer;
        return state.status === 'delivered' ? state : undefined;
      },
      30_000,
      'the page to be delivered',
    );
    expect(delivered.attempts).toBe(1);
    const human = await fedctl(['message', answer.message_id]);
    expect(human.stdout).toMatch(/^status\s+delivered$/m);

    const inbox = await fedctl(['--json', 'inbox', 'u-alex'], 'b');
    expect((inbox.json as BoxAnswer).messages).toEqual([
      expect.objectContaining({
        message_id: answer.message_id,
        from: 'taylor@fedctl-a',
        content: 'disk full <b>now</b>',
        priority: 2,
      }),
    ]);
    const table = await fedctl(['inbox', 'u-alex'], 'b');
    expect(table.stdout.split('\n')[0]).toMatch(
      /^RECEIVED\s+FROM\s+TO\s+PRI\s+STATUS\s+TEXT\s+ID$/,
    );
    expect(table.stdout).toContain('disk full <b>now</b>');

    expectRefused(await fedctl(['--json', 'message', 'no-such-message']), 3, 'not_found');
    expectRefused(
      await fedctl(['--json', 'send', 'u-taylor', 'nobody', 'hello']),
      3,
      'unknown_recipient',
    );
  });

  it('route, peers, announce', async () => {
    const route = await fedctl(['--json', 'route', 'fedctl-b']);
    expect(route.code).toBe(0);
    expect(route.json as RouteAnswer).toMatchObject({
      server_id: 'fedctl-b',
      endpoints: { federation: 'http://127.0.1.11:4200/federation' },
    });
    expectRefused(await fedctl(['--json', 'route', 'nowhere.invalid']), 3, 'domain_not_found');

    const peers = await fedctl(['--json', 'peers']);
    expect((peers.json as PeersAnswer).peers.map((p) => p.server_id)).toContain('fedctl-b');
    const table = await fedctl(['peers']);
    const [header, ...rows] = table.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^SERVER\s+FINGERPRINT\s+LAST SEEN\s+SCORE\s+NEIGHBOUR\s+BLOCKED$/);
    expect(rows.find((r) => r.startsWith('fedctl-b '))).toMatch(/\s100\s/);

    const announced = await fedctl(['--json', 'announce']);
    expect(announced.code).toBe(0);
    expect(announced.json.server_id).toBe('fedctl-a');
  });

  it('block, blocklist, peers --blocked, unblock; reputation and report', async () => {
    const reason = 'spam <script>alert(1)</script>';
    expect((await fedctl(['block', 'fedctl-b', '--reason', reason])).code).toBe(0);
    const list = (await fedctl(['--json', 'blocklist'])).json as BlocklistAnswer;
    expect(list.blocked).toEqual([expect.objectContaining({ server_id: 'fedctl-b', reason })]);
    const blocked = (await fedctl(['--json', 'peers', '--blocked'])).json as PeersAnswer;
    expect(blocked.peers.map((p) => [p.server_id, p.blocked])).toEqual([['fedctl-b', true]]);
    const reputation = (await fedctl(['--json', 'reputation', 'fedctl-b']))
      .json as ReputationAnswer;
    expect(reputation).toMatchObject({ server_id: 'fedctl-b', blocked: true });

    expect((await fedctl(['unblock', 'fedctl-b'])).code).toBe(0);
    expect(((await fedctl(['--json', 'blocklist'])).json as BlocklistAnswer).blocked).toEqual([]);
    expectRefused(
      await fedctl(['--json', 'block', 'not a server!', '--reason', 'x']),
      3,
      'validation_failed',
    );

    const report = await fedctl([
      'report',
      'fedctl-b',
      '--reason',
      'spam',
      '--details',
      'pages at 3am',
    ]);
    expect(report.code).toBe(0);
    const after = (await fedctl(['--json', 'reputation', 'fedctl-b'])).json as ReputationAnswer;
    expect(after.reports).toBeGreaterThanOrEqual(1);
    expect(after.score).toBeLessThan(100);
  });

  it('peers export and import, pins forget', async () => {
    const file = join(work, 'peers.json');
    const exported = await fedctl(['--json', 'peers', 'export', file]);
    expect(exported.code).toBe(0);
    const document = JSON.parse(readFileSync(file, 'utf8')) as PeerFile;
    expect(document.peers.map((p) => p.server_id)).toEqual(
      expect.arrayContaining(['fedctl-a', 'fedctl-b']),
    );
    const imported = await fedctl(['--json', 'peers', 'import', file], 'b');
    expect(imported.code).toBe(0);
    expect(imported.json.accepted + imported.json.rejected).toBe(document.peers.length);

    writeFileSync(join(work, 'broken.json'), '{"version":');
    const broken = await fedctl(['peers', 'import', join(work, 'broken.json')]);
    expect(broken.code).toBe(64);
    writeFileSync(join(work, 'wrong.json'), '{"version":"1.0","peers":"no"}');
    expect((await fedctl(['peers', 'import', join(work, 'wrong.json')])).code).toBe(3);

    const listed = await fedctl(['--json', 'pins']);
    expect(listed.code).toBe(0);
    expect(listed.json.pins.map((p: { server_id: string }) => p.server_id)).toContain('fedctl-b');
    expect((await fedctl(['pins', 'forget', 'fedctl-b'])).code).toBe(0);
    expectRefused(await fedctl(['--json', 'pins', 'forget', 'fedctl-b']), 3, 'not_found');
    const history = await fedctl(['--json', 'pins', 'history', 'fedctl-b']);
    expect(history.code).toBe(0);
    expect(history.json.entries.map((e: { event: string }) => e.event)).toEqual([
      'pinned',
      'forgotten',
    ]);
    expect(history.json.chain.intact).toBe(true);
    expect((await fedctl(['pins', 'history', 'fedctl-b'])).stdout).toContain('chain: intact');
  });

  it('destinations, destination, stop, resume, retry', async () => {
    const list = await fedctl(['--json', 'destinations']);
    expect(list.code).toBe(0);
    const b1 = (list.json as DestinationsAnswer).destinations.find(
      (d) => d.server_id === 'fedctl-b',
    );
    expect(b1).toMatchObject({ server_id: 'fedctl-b', state: 'healthy' });

    const stopped = await fedctl([
      '--json',
      'stop',
      'fedctl-b',
      '--reason',
      'maintenance <i>window</i>',
    ]);
    expect(stopped.code).toBe(0);
    expect(stopped.json as Destination).toMatchObject({
      server_id: 'fedctl-b',
      state: 'stopped',
      reason: 'maintenance <i>window</i>',
    });
    const onlyStopped = (await fedctl(['--json', 'destinations', '--state', 'stopped']))
      .json as DestinationsAnswer;
    expect(onlyStopped.destinations.map((d) => d.server_id)).toEqual(['fedctl-b']);
    const table = await fedctl(['destinations']);
    expect(table.stdout).toMatch(/^fedctl-b\s+stopped\s/m);

    const resumed = await fedctl(['--json', 'resume', 'fedctl-b']);
    expect(resumed.code).toBe(0);
    expect((resumed.json as Destination).state).not.toBe('stopped');
    expect((await fedctl(['retry', 'fedctl-b'])).code).toBe(0);
    const one = await fedctl(['--json', 'destination', 'fedctl-b']);
    expect((one.json as Destination).server_id).toBe('fedctl-b');

    expectRefused(await fedctl(['--json', 'destination', 'never-seen.example']), 3, 'not_found');
  });
});
