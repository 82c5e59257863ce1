/**
 * Child process of {@link ControlledPostgres}: starts an embedded PostgreSQL with the
 * settings given as JSON in argv[3] under argv[2], prints `ready <url>`, then obeys `stop`,
 * `start` and `exit` lines on stdin, answering `ok <command>` (or `error <message>`). When
 * the parent goes away (stdin ends) it stops the server and exits.
 */
import { startEmbeddedPostgres } from './embedded-postgres';
import { createInterface } from 'node:readline';

async function main(): Promise<void> {
  const [dir, settingsJson] = process.argv.slice(2);
  const database = await startEmbeddedPostgres(dir, { settings: JSON.parse(settingsJson) });
  process.stdout.write(`ready ${database.url}\n`);
  let queue = Promise.resolve();
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (command) => {
    queue = queue.then(async () => {
      try {
        if (command === 'stop') await database.stop();
        else if (command === 'start') await database.start();
        else if (command === 'exit') {
          await database.stop();
          process.stdout.write('ok exit\n');
          process.exit(0);
        }
        process.stdout.write(`ok ${command}\n`);
      } catch (err) {
        process.stdout.write(`error ${String(err).replace(/\s+/g, ' ')}\n`);
      }
    });
  });
  lines.on('close', () => {
    void queue.then(() => database.stop()).finally(() => process.exit(0));
  });
}

main().catch((err) => {
  process.stdout.write(`error ${String(err).replace(/\s+/g, ' ')}\n`);
  process.exit(1);
});
