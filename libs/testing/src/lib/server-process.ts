import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '../../../..');

export type ServiceName = 'discovery' | 'adapter';

export interface ServiceProcessOptions {
  service: ServiceName;
  env: Record<string, string>;
  /** Base URL to poll for readiness, e.g. http://127.0.0.2:4100 */
  baseUrl: string;
  logFile: string;
  readyTimeoutMs?: number;
  /** Node.js options before the script, e.g. `['--cpu-prof']` (benchmarks). */
  nodeArgs?: string[];
  /** Where `dist/` is; REPO_ROOT unless the caller is itself bundled elsewhere (the demo). */
  repoRoot?: string;
}

/**
 * One built service (`dist/apps/<service>/main.js`) as a real child process, the way an
 * operator runs it. Logs go to a file so that a failing test can show them.
 */
export class ServiceProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> = Promise.resolve(null);

  constructor(readonly options: ServiceProcessOptions) {}

  get baseUrl(): string {
    return this.options.baseUrl;
  }

  /** The running child's process id (for /proc readings in benchmarks), or undefined. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    const root = this.options.repoRoot ?? REPO_ROOT;
    const main = join(root, 'dist', 'apps', this.options.service, 'main.js');
    const log = createWriteStream(this.options.logFile, { flags: 'a' });
    const child = spawn(process.execPath, [...(this.options.nodeArgs ?? []), main], {
      env: { PATH: process.env.PATH ?? '', ...this.options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    this.child = child;
    this.exited = new Promise((resolveExit) => child.once('exit', (code) => resolveExit(code)));
    await this.waitReady(this.options.readyTimeoutMs ?? 60_000);
  }

  private async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exitCode: number | null | undefined;
    void this.exited.then((code) => (exitCode = code));
    while (Date.now() < deadline) {
      if (exitCode !== undefined) {
        throw new Error(`${this.options.service} exited with ${exitCode}:\n${this.logTail()}`);
      }
      try {
        const response = await fetch(`${this.baseUrl}/health/ready`);
        if (response.status === 200) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(
      `${this.options.service} at ${this.baseUrl} not ready in ${timeoutMs} ms:\n${this.logTail()}`,
    );
  }

  /** SIGTERM and wait for a clean exit. */
  async stop(): Promise<number | null> {
    if (this.child === undefined || this.child.exitCode !== null)
      return this.child?.exitCode ?? null;
    this.child.kill('SIGTERM');
    const code = await this.exited;
    this.child = undefined;
    return code;
  }

  /** `kill -9`: nothing in flight gets a chance to finish. */
  async kill(): Promise<void> {
    if (this.child === undefined || this.child.exitCode !== null) return;
    this.child.kill('SIGKILL');
    await this.exited;
    this.child = undefined;
  }

  logTail(lines = 60): string {
    try {
      return readFileSync(this.options.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** Parsed JSON log lines with the given `event`. */
  events(name: string): Record<string, unknown>[] {
    let text = '';
    try {
      text = readFileSync(this.options.logFile, 'utf8');
    } catch {
      return [];
    }
    return text
      .split('\n')
      .filter((line) => line.includes(`"event":"${name}"`))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}

export function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `pager-${prefix}-`));
  mkdirSync(dir, { recursive: true });
  return dir;
}
