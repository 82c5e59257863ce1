import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatReport } from './app/demo-plan';
import { FederationDemo } from './app/federation-demo';

const HELP = `npm run demo -- [options]

Starts a federation of complete servers on loopback (one embedded PostgreSQL, a database
per server), lets them find each other by gossip, sends pages between every pair by address
and by contact name, stops one server, pages it, restarts it, and reports.

  --servers N      servers to start, 2 to 20 (default 5)
  --once           exit after the report: 0 if every page was delivered exactly once, else 1
  --json           print the report as one JSON object (with --once)
  --host H         loopback address to bind (default 127.0.0.1)
  --base-port P    daemons on P.., adapters on P+100.. (default 5100)
  --outage-ms MS   how long the stopped server stays down (default 5000)
  --timeout-ms MS  deadline of each phase (default 180000)
  --data-dir DIR   keys, databases and logs of the run, emptied at start (default .data/demo)

Without --once the servers keep running until Ctrl-C, which stops everything.`;

/** Where dist/ is: this file is dist/apps/demo/main.js once built. */
const REPO_ROOT = resolve(__dirname, '../../..');

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      servers: { type: 'string', default: '5' },
      once: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      host: { type: 'string', default: '127.0.0.1' },
      'base-port': { type: 'string', default: '5100' },
      'outage-ms': { type: 'string', default: '5000' },
      'timeout-ms': { type: 'string', default: '180000' },
      'data-dir': { type: 'string', default: '.data/demo' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  const demo = new FederationDemo({
    servers: integer(values.servers, '--servers'),
    host: values.host,
    basePort: integer(values['base-port'], '--base-port'),
    outageMs: integer(values['outage-ms'], '--outage-ms'),
    phaseTimeoutMs: integer(values['timeout-ms'], '--timeout-ms'),
    dataDir: resolve(values['data-dir']),
    repoRoot: REPO_ROOT,
  });
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= demo.stop());
  const interrupted = new Promise<number>((resolveCode) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => void stop().then(() => resolveCode(130)));
    }
  });
  try {
    const report = await Promise.race([demo.run(), interrupted.then(() => null)]);
    if (report === null) return 130;
    process.stdout.write(
      (values.json ? JSON.stringify(report) : formatReport(report, demo.servers)) + '\n',
    );
    if (values.once) {
      await stop();
      return report.exactly_once ? 0 : 1;
    }
    process.stdout.write('\nThe servers keep running; Ctrl-C stops everything.\n');
    return await interrupted.then(() => 0);
  } catch (err) {
    process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
    await stop().catch(() => undefined);
    return 1;
  }
}

function integer(value: string, flag: string): number {
  if (!/^\d{1,9}$/.test(value)) throw new Error(`${flag} must be a whole number, got "${value}"`);
  return Number(value);
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`demo: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  },
);
