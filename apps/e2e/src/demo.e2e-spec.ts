import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT, makeTempDir } from '@pager/testing';

/**
 * `npm run demo -- --servers 5 --once`, as a newcomer runs it: five complete servers on one
 * embedded PostgreSQL, pages between every pair, one server stopped, paged and restarted.
 * It must exit 0, which it does only when every page was delivered exactly once.
 */
describe('npm run demo', () => {
  it('runs a federation of five servers and delivers every page exactly once, the outage included', async () => {
    const dataDir = makeTempDir('demo');
    const { code, stdout, stderr } = await new Promise<{
      code: number | null;
      stdout: string;
      stderr: string;
    }>((resolve) => {
      const child = spawn(
        process.execPath,
        [
          join(REPO_ROOT, 'dist/apps/demo/main.js'),
          '--servers',
          '5',
          '--once',
          '--json',
          '--base-port',
          '5300',
          '--data-dir',
          dataDir,
        ],
        { env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      let err = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
      child.on('exit', (exitCode) => resolve({ code: exitCode, stdout: out, stderr: err }));
    });
    const reportLine = stdout
      .split('\n')
      .reverse()
      .find((line) => line.startsWith('{'));
    expect({ code, stderr, report: reportLine === undefined ? stdout : 'found' }).toEqual({
      code: 0,
      stderr: '',
      report: 'found',
    });
    const report = JSON.parse(reportLine ?? '{}');
    expect(report.servers).toBe(5);
    // 5 × 4 ordered pairs × 2 pages, and one page from each of the 4 others during the outage.
    expect(report.pages).toEqual({
      planned: 44,
      delivered: 44,
      failed: 0,
      waiting: 0,
      duplicated: 0,
      missing: 0,
    });
    expect(report.outage).toEqual({ server: 'server-e', pages: 4, delivered: 4 });
    expect(report.exactly_once).toBe(true);
  }, 420_000);
});
