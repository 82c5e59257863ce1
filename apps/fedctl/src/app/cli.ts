import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import {
  AdapterApiClient,
  DESTINATION_STATES,
  DeliveryAttempt,
  Destination,
  DestinationState,
  DiscoveryApiClient,
  InternalApiError,
  InternalApiFailure,
  Peer,
} from '@pager/internal-api';
import { fingerprint } from '@pager/protocol';
import { FedctlConfig, GlobalFlags, resolveConfig } from './config';
import { EXIT, ExitCode, UsageError, exitCodeForError } from './exit-codes';
import { keyFilePaths, rotateKeyFiles } from './key-files';
import { keyReloadOutcome } from './key-rotation-outcome';
import {
  Column,
  cellText,
  paint,
  printable,
  renderFields,
  renderJson,
  renderTable,
  stateColour,
} from './render';
import { PIN_COLUMNS, pinRows, renderPinHistory } from './pins-view';
import {
  Probe,
  StatusSummary,
  statusExitCode,
  sumSamples,
  summarizeStatus,
} from './status-summary';

/** Everything fedctl does to the world besides HTTP, so that specs can run it in-process. */
export interface FedctlIo {
  stdout(text: string): void;
  stderr(text: string): void;
  isTty: boolean;
  env: Record<string, string | undefined>;
  readFile(path: string): string;
  writeFile(path: string, text: string): void;
  nowMs(): number;
}

const EXIT_CODES_HELP = `
Configuration (flags win over the environment):
  FEDCTL_DISCOVERY_URL   discovery daemon base URL (default http://127.0.0.1:4100)
  FEDCTL_ADAPTER_URL     federation adapter base URL (default http://127.0.0.1:4200)
  FEDCTL_TOKEN           internal API bearer token (INTERNAL_API_TOKEN of the services)
  FEDCTL_TOKEN_FILE      file holding the token (same as --token-file)
  NO_COLOR               no colour even on a terminal

Exit codes:
  0   done; for "status": healthy; for "keys rotate": both services reloaded the new pair
  1   "status": degraded (a service not ready, a destination unreachable);
      "pins history": the pin history chain is broken
  2   a service could not be reached (refused, timed out, unreadable answer); for
      "keys rotate": the files were rotated, restart that service to load them
  3   a service refused the request (its error code and message are printed); for
      "keys rotate": a service refused the reload or loaded other files
  64  bad arguments or configuration (nothing was sent)
`;

interface Context {
  config: FedctlConfig;
  discovery: DiscoveryApiClient;
  adapter: AdapterApiClient;
  io: FedctlIo;
  /** `--json`: the document; otherwise the human rendering. */
  emit(json: unknown, human: () => string): void;
}

/**
 * Runs fedctl with `argv` (arguments after the program name) and returns its exit code
 * (see EXIT). Errors are printed as one line on stderr (and, with `--json`, as
 * `{ error, message, status? }` on stdout).
 */
export async function runFedctl(argv: string[], io: FedctlIo): Promise<number> {
  const state = { exitCode: EXIT.ok as ExitCode, json: argv.includes('--json') };
  const program = buildProgram(io, state);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return state.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander has already printed the usage message or the help
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const line = describeError(err);
    io.stderr(`fedctl: ${line}\n`);
    if (state.json) {
      io.stdout(
        renderJson({
          error: errorCode(err),
          message: line,
          ...(err instanceof InternalApiError ? { status: err.status } : {}),
        }),
      );
    }
    return exitCodeForError(err);
  }
}

/** One line for any failure; text that came from a service is made printable. */
export function describeError(err: unknown): string {
  if (err instanceof InternalApiError) {
    const message = err.body.message ? `: ${err.body.message}` : '';
    return printable(`${err.method} ${err.url} answered ${err.status} ${err.body.error}${message}`);
  }
  if (err instanceof InternalApiFailure) return printable(err.message);
  if (err instanceof Error) return printable(err.message.split('\n')[0]);
  return printable(String(err));
}

function errorCode(err: unknown): string {
  if (err instanceof InternalApiError) return err.body.error;
  if (err instanceof InternalApiFailure) return err.kind;
  if (err instanceof UsageError) return 'usage';
  return 'internal';
}

function intArg(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value) || n < min || n > max)
      throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}`);
    return n;
  };
}

async function probe<T>(promise: Promise<T>): Promise<Probe<T>> {
  try {
    return { ok: true, value: await promise };
  } catch (err) {
    if (err instanceof InternalApiError)
      return {
        ok: false,
        kind: 'http',
        status: err.status,
        error: err.body.error,
        message: describeError(err),
      };
    if (err instanceof InternalApiFailure)
      return {
        ok: false,
        kind: err.kind === 'bad_answer' ? 'bad_answer' : 'unreachable',
        message: describeError(err),
      };
    return { ok: false, kind: 'unreachable', message: describeError(err) };
  }
}

function shortFingerprint(fp: string | null | undefined): string | undefined {
  return fp ? `${fp.slice(0, 16)}…` : undefined;
}

const PEER_COLUMNS: Column<Peer>[] = [
  { header: 'SERVER', value: (p) => p.server_id },
  { header: 'FINGERPRINT', value: (p) => shortFingerprint(p.fingerprint) },
  { header: 'LAST SEEN', value: (p) => p.timestamp },
  {
    header: 'SCORE',
    value: (p) => p.score,
    right: true,
    colour: (p) => (p.score < 50 ? 'red' : undefined),
  },
  { header: 'NEIGHBOUR', value: (p) => p.neighbor },
  { header: 'BLOCKED', value: (p) => p.blocked, colour: (p) => (p.blocked ? 'red' : undefined) },
];

const DESTINATION_COLUMNS: Column<Destination>[] = [
  { header: 'SERVER', value: (d) => d.server_id },
  { header: 'STATE', value: (d) => d.state, colour: (d) => stateColour(d.state) },
  { header: 'SINCE', value: (d) => d.since },
  { header: 'NEXT ATTEMPT', value: (d) => d.next_attempt_at },
  { header: 'WAITING', value: (d) => d.pages_waiting, right: true },
  { header: 'IN FLIGHT', value: (d) => d.pages_in_flight, right: true },
  { header: 'REASON', value: (d) => d.reason },
  { header: 'LAST ERROR', value: (d) => d.last_error },
];

const ATTEMPT_COLUMNS: Column<DeliveryAttempt>[] = [
  { header: '#', value: (a) => (a.probe ? `${a.attempt} (probe)` : a.attempt), right: true },
  { header: 'STARTED', value: (a) => a.started_at },
  { header: 'MS', value: (a) => a.duration_ms, right: true },
  { header: 'HTTP', value: (a) => a.http_status, right: true },
  { header: 'OUTCOME', value: (a) => a.outcome },
  { header: 'ERROR', value: (a) => a.error },
];

function destinationFields(d: Destination, colour: boolean): string {
  return renderFields(
    [
      ['server', d.server_id],
      ['state', d.state, stateColour(d.state)],
      ['reason', d.reason],
      ['since', d.since],
      ['last success', d.last_success_at],
      ['last error', d.last_error],
      ['next attempt', d.next_attempt_at],
      ['pages waiting', d.pages_waiting],
      ['pages in flight', d.pages_in_flight],
    ],
    colour,
  );
}

function buildProgram(io: FedctlIo, state: { exitCode: ExitCode; json: boolean }): Command {
  const program = new Command('fedctl')
    .description(
      'Operate a pager federation server: its discovery daemon and federation adapter (internal API)',
    )
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) })
    .showHelpAfterError('(fedctl --help for usage)')
    .option('--discovery-url <url>', 'discovery daemon base URL (FEDCTL_DISCOVERY_URL)')
    .option('--adapter-url <url>', 'federation adapter base URL (FEDCTL_ADAPTER_URL)')
    .option('--token-file <path>', 'file holding the internal API token (FEDCTL_TOKEN_FILE)')
    .option('--timeout <ms>', 'bound of each request in ms (default 10000)')
    .option('--json', 'print JSON documents for scripts instead of tables')
    .option('--no-color', 'no colour, even on a terminal')
    .addHelpText('after', EXIT_CODES_HELP);

  const context = (command: Command): Context => {
    const flags = command.optsWithGlobals<GlobalFlags>();
    const config = resolveConfig(flags, io.env, io.isTty, io.readFile);
    state.json = config.json;
    const common = { token: config.token, timeoutMs: config.timeoutMs };
    return {
      config,
      io,
      discovery: new DiscoveryApiClient({ baseUrl: config.discoveryUrl, ...common }),
      adapter: new AdapterApiClient({ baseUrl: config.adapterUrl, ...common }),
      emit: (json, human) => io.stdout(config.json ? renderJson(json) : human()),
    };
  };

  // ---------------------------------------------------------------- status
  program
    .command('status')
    .description(
      "this server's identity and health: readiness of both services, peers, destinations by state, pages waiting",
    )
    .option('--discovery-path <path>', 'public path of the discovery daemon', '/discovery')
    .option(
      '--live-within <ms>',
      'an announcement younger than this is live (ANNOUNCEMENT_TTL_MS)',
      intArg(1, 365 * 86_400_000),
      86_400_000,
    )
    .action(async (opts: { discoveryPath: string; liveWithin: number }, cmd: Command) => {
      const c = context(cmd);
      const [discoveryReady, adapterReady, announcement, peers, destinations, metrics, keys] =
        await Promise.all([
          probe(c.discovery.ready()),
          probe(c.adapter.ready()),
          probe(c.discovery.ownAnnouncement(opts.discoveryPath)),
          probe(c.discovery.allPeers()),
          probe(c.adapter.destinations()),
          probe(c.discovery.metrics()),
          probe(c.discovery.keys()),
        ]);
      let identity: Probe<{ server_id: string; fingerprint: string }>;
      if (announcement.ok) {
        try {
          identity = {
            ok: true,
            value: {
              server_id: announcement.value.server_id,
              fingerprint: fingerprint(announcement.value.public_key),
            },
          };
        } catch (err) {
          identity = { ok: false, kind: 'bad_answer', message: (err as Error).message };
        }
      } else identity = announcement;
      const summary = summarizeStatus({
        discoveryReady,
        adapterReady,
        identity,
        keys,
        peers,
        destinations: destinations.ok
          ? { ok: true, value: destinations.value.destinations }
          : destinations,
        gossip: metrics.ok
          ? {
              ok: true,
              value: {
                ok: sumSamples(metrics.value, 'discovery_gossip_exchanges_total', {
                  role: 'initiator',
                  result: 'ok',
                }),
                failed: sumSamples(metrics.value, 'discovery_gossip_exchanges_total', {
                  role: 'initiator',
                  result: 'failed',
                }),
              },
            }
          : metrics,
        nowMs: io.nowMs(),
        liveWithinMs: opts.liveWithin,
      });
      c.emit(summary, () => renderStatus(summary, c.config.colour));
      state.exitCode = statusExitCode(summary);
    });

  // ---------------------------------------------------------------- discovery
  const peers = program
    .command('peers')
    .description(
      'known servers (fingerprint, last seen, score, neighbour, blocked); peers export [file], peers import <file>',
    )
    .option('--blocked', 'only blocked servers')
    .option(
      '--pending',
      'the servers whose key awaits confirmations (PIN_CONFIRMATIONS > 1) instead of the pinned ones',
    )
    .action(async (opts: { blocked?: boolean; pending?: boolean }, cmd: Command) => {
      const c = context(cmd);
      const all = await c.discovery.allPeers(undefined, opts.pending ? 'pending' : undefined);
      const list = opts.blocked ? all.filter((p) => p.blocked) : all;
      c.emit({ peers: list }, () => renderTable(PEER_COLUMNS, list, c.config.colour));
    });
  peers
    .command('export [file]')
    .description('write a peer exchange file of the live peers (to stdout without a file)')
    .action(async (file: string | undefined, _opts: unknown, cmd: Command) => {
      const c = context(cmd);
      const exported = await c.discovery.exportPeers();
      if (file === undefined) {
        io.stdout(renderJson(exported));
        return;
      }
      io.writeFile(file, renderJson(exported));
      c.emit({ file, peers: exported.peers.length }, () =>
        printable(`${exported.peers.length} peers written to ${file}\n`),
      );
    });
  peers
    .command('import <file>')
    .description('hand a peer exchange file to the daemon (each peer is verified before use)')
    .action(async (file: string, _opts: unknown, cmd: Command) => {
      const c = context(cmd);
      let document: unknown;
      try {
        document = JSON.parse(io.readFile(file));
      } catch (err) {
        throw new UsageError(`cannot read ${file} as JSON: ${(err as Error).message}`);
      }
      const answer = await c.discovery.importPeers(document);
      c.emit(answer, () =>
        renderFields([
          ['accepted', answer.accepted],
          ['rejected', answer.rejected],
          ...(answer.errors?.length
            ? ([['errors', JSON.stringify(answer.errors)]] as [string, string][])
            : []),
        ]),
      );
    });

  program
    .command('route <domain>')
    .description('resolve a domain: cache, then query flooding')
    .action(async (domain: string, _opts: unknown, cmd: Command) => {
      const c = context(cmd);
      const r = await c.discovery.route(domain);
      c.emit(r, () =>
        renderFields([
          ['server', r.server_id],
          ['fingerprint', r.fingerprint],
          ['federation', r.endpoints.federation],
          ['discovery', r.endpoints.discovery],
          ['source', r.source],
        ]),
      );
    });

  program
    .command('announce')
    .description('re-sign the own announcement now and push it to the neighbours')
    .action(async (_opts: unknown, cmd: Command) => {
      const c = context(cmd);
      const a = await c.discovery.announce();
      c.emit(a, () =>
        renderFields([
          ['server', a.server_id],
          ['fingerprint', fingerprint(a.public_key)],
          ['timestamp', a.timestamp],
        ]),
      );
    });

  // ---------------------------------------------------------------- keys
  const keys = program
    .command('keys')
    .description(
      'the server key both services use and the key being rotated away from; keys rotate',
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const c = context(cmd);
      const [discovery, adapter] = await Promise.all([c.discovery.keys(), c.adapter.keys()]);
      c.emit({ discovery, adapter }, () =>
        renderFields([
          ['discovery', discovery.fingerprint],
          ['  previous', discovery.previous_fingerprint],
          ['adapter', adapter.fingerprint],
          ['  previous', adapter.previous_fingerprint],
        ]),
      );
    });
  keys
    .command('rotate')
    .description(
      'single host: generate a new key, keep the current one as the previous key, and tell both services to reload (docs/operations.md)',
    )
    .option('--data-dir <dir>', 'DATA_DIR of the services (default ./.data)')
    .option('--private-key-path <path>', 'PRIVATE_KEY_PATH (default $DATA_DIR/server-key.pem)')
    .option(
      '--previous-key-path <path>',
      'PREVIOUS_KEY_PATH (default $DATA_DIR/server-key.previous.pem)',
    )
    .option('--replace-previous', 'overwrite a previous key left by an earlier rotation')
    .action(
      async (
        opts: {
          dataDir?: string;
          privateKeyPath?: string;
          previousKeyPath?: string;
          replacePrevious?: boolean;
        },
        cmd: Command,
      ) => {
        const c = context(cmd);
        const paths = keyFilePaths(opts, io.env);
        const rotated = rotateKeyFiles(paths, { replacePrevious: opts.replacePrevious === true });
        // The daemon first: it announces the new key (with the rotation_signature) and pushes
        // it before the adapter signs pages with it.
        const discovery = await probe(c.discovery.reloadKeys());
        const adapter = await probe(c.adapter.reloadKeys());
        const outcome = keyReloadOutcome(rotated, { discovery, adapter });
        const document = {
          private_key_path: paths.privateKeyPath,
          previous_key_path: paths.previousKeyPath,
          old_fingerprint: rotated.oldFingerprint,
          new_fingerprint: rotated.newFingerprint,
          discovery: discovery.ok ? discovery.value : { error: discovery.message },
          adapter: adapter.ok ? adapter.value : { error: adapter.message },
          problems: outcome.problems,
        };
        c.emit(document, () =>
          renderFields([
            ['old key', rotated.oldFingerprint],
            ['new key', rotated.newFingerprint],
            ['key file', paths.privateKeyPath],
            ['previous key file', paths.previousKeyPath],
            ['discovery', discovery.ok ? 'reloaded' : discovery.message],
            ['adapter', adapter.ok ? 'reloaded' : adapter.message],
            ...outcome.problems.map((p) => ['problem', p] as [string, string]),
          ]),
        );
        state.exitCode = outcome.exitCode;
      },
    );

  program
    .command('block <server>')
    .description('block a server: no gossip, queries or pages with it')
    .requiredOption('--reason <text>', 'why (kept in the blocklist)')
    .action(async (server: string, opts: { reason: string }, cmd: Command) => {
      const c = context(cmd);
      const entry = await c.discovery.block(server, opts.reason);
      c.emit(entry, () => printable(`blocked ${server}\n`));
    });

  program
    .command('unblock <server>')
    .description('remove a server from the blocklist')
    .action(async (server: string, _opts: unknown, cmd: Command) => {
      const c = context(cmd);
      await c.discovery.unblock(server);
      c.emit({ server_id: server, blocked: false }, () => printable(`unblocked ${server}\n`));
    });

  program
    .command('blocklist')
    .description('the blocklist')
    .action(async (_opts: unknown, cmd: Command) => {
      const c = context(cmd);
      const list = await c.discovery.blocklist();
      c.emit(list, () =>
        renderTable(
          [
            { header: 'SERVER', value: (b) => b.server_id },
            { header: 'SINCE', value: (b) => b.created_at },
            { header: 'REASON', value: (b) => b.reason },
          ],
          list.blocked,
          c.config.colour,
        ),
      );
    });

  program
    .command('reputation <server>')
    .description('reputation of a server (score 0 to 100, reports, violations)')
    .action(async (server: string, _opts: unknown, cmd: Command) => {
      const c = context(cmd);
      const r = await c.discovery.reputation(server);
      c.emit(r, () =>
        renderFields(
          [
            ['server', r.server_id],
            ['score', r.score, r.score < 50 ? 'red' : undefined],
            ['reports', r.reports],
            ['rate limit violations', r.rate_limit_violations],
            ['key conflicts', r.key_conflicts],
            ['blocked', r.blocked, r.blocked ? 'red' : undefined],
            ['first seen', r.first_seen],
            ['last seen', r.last_seen],
          ],
          c.config.colour,
        ),
      );
    });

  program
    .command('report <server>')
    .description('report a server (lowers its reputation)')
    .requiredOption('--reason <reason>', 'reason code, e.g. spam')
    .option('--details <text>', 'free text')
    .action(async (server: string, opts: { reason: string; details?: string }, cmd: Command) => {
      const c = context(cmd);
      const answer = await c.discovery.report({
        server_id: server,
        reason: opts.reason,
        ...(opts.details === undefined ? {} : { details: opts.details }),
      });
      c.emit(answer ?? { server_id: server, reason: opts.reason }, () =>
        printable(`reported ${server}: ${opts.reason}\n`),
      );
    });

  const pins = program
    .command('pins')
    .description(
      'pinned keys and servers pending confirmation (PIN_CONFIRMATIONS); pins history <server>, pins forget <server>',
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const c = context(cmd);
      const answer = await c.discovery.pins();
      c.emit(answer, () => {
        const rows = pinRows(answer);
        return (
          renderTable(PIN_COLUMNS, rows, c.config.colour) +
          `${answer.required_confirmations} distinct path(s) needed before a new server is pinned\n`
        );
      });
    });
  pins
    .command('history <server>')
    .description(
      "a server's pin history (pinned, rotated, conflict, forgotten) and the chain check at start; exit 1 when the chain is broken",
    )
    .action(async (server: string, _opts: unknown, cmd: Command) => {
      const c = context(cmd);
      const answer = await c.discovery.pinHistory(server);
      c.emit(answer, () => renderPinHistory(answer, c.config.colour));
      if (answer.chain.intact === false) state.exitCode = EXIT.degraded;
    });
  pins
    .command('forget <server>')
    .description(
      "forget a server's pinned key or pending confirmations (a conflict included): it starts afresh",
    )
    .action(async (server: string, _opts: unknown, cmd: Command) => {
      const c = context(cmd);
      await c.discovery.forgetPin(server);
      c.emit({ server_id: server, pin: 'forgotten' }, () =>
        printable(`pin of ${server} forgotten\n`),
      );
    });

  // ---------------------------------------------------------------- destinations
  program
    .command('destinations')
    .description('delivery state of every remote server we deliver to')
    .addOption(new Option('--state <state>', 'only this state').choices([...DESTINATION_STATES]))
    .action(async (opts: { state?: DestinationState }, cmd: Command) => {
      const c = context(cmd);
      const answer = await c.adapter.destinations(opts.state);
      c.emit(answer, () => renderTable(DESTINATION_COLUMNS, answer.destinations, c.config.colour));
    });

  program
    .command('destination <server>')
    .description('delivery state of one remote server')
    .action(async (server: string, _opts: unknown, cmd: Command) => {
      const c = context(cmd);
      const d = await c.adapter.destination(server);
      c.emit(d, () => destinationFields(d, c.config.colour));
    });

  program
    .command('retry <server>')
    .description('probe a destination now and reset its backoff')
    .action(async (server: string, _opts: unknown, cmd: Command) => {
      const c = context(cmd);
      await c.adapter.retry(server);
      c.emit({ server_id: server, retry: 'requested' }, () =>
        printable(`retry of ${server} requested\n`),
      );
    });

  program
    .command('stop <server>')
    .description('stop delivery to a server: its pages end failed (delivery_stopped)')
    .requiredOption('--reason <text>', 'why (shown to operators)')
    .action(async (server: string, opts: { reason: string }, cmd: Command) => {
      const c = context(cmd);
      const d = await c.adapter.stop(server, opts.reason);
      c.emit(d, () => destinationFields(d, c.config.colour));
    });

  program
    .command('resume <server>')
    .description('resume delivery to a stopped server')
    .action(async (server: string, _opts: unknown, cmd: Command) => {
      const c = context(cmd);
      const d = await c.adapter.resume(server);
      c.emit(d, () => destinationFields(d, c.config.colour));
    });

  // ---------------------------------------------------------------- pager API
  program
    .command('users')
    .description('pager users: users add <user_id> <username>')
    .command('add <user_id> <username>')
    .description('register a pager username for a user of the pager tool')
    .action(async (userId: string, username: string, _opts: unknown, cmd: Command) => {
      const c = context(cmd);
      const user = await c.adapter.registerUser(userId, username);
      c.emit(user, () =>
        renderFields([
          ['user', user.user_id],
          ['username', user.username],
          ['address', user.address],
        ]),
      );
    });

  program
    .command('contacts')
    .description("a user's contacts: contacts add <user_id> <name> <address>")
    .command('add <user_id> <name> <address>')
    .description('add a contact (a name the user can page by) with its pager address')
    .option('--email <email>', 'e-mail address')
    .option('--phone <phone>', 'phone number')
    .action(
      async (
        userId: string,
        name: string,
        address: string,
        opts: { email?: string; phone?: string },
        cmd: Command,
      ) => {
        const c = context(cmd);
        const contact = await c.adapter.addContact(userId, {
          name,
          pager_address: address,
          ...(opts.email === undefined ? {} : { email: opts.email }),
          ...(opts.phone === undefined ? {} : { phone: opts.phone }),
        });
        c.emit(contact, () =>
          renderFields([
            ['id', contact.id],
            ['name', contact.name],
            ['address', contact.pager_address],
          ]),
        );
      },
    );

  program
    .command('send <user_id> <to> <text>')
    .description('page <to> (username, address or contact name) as <user_id>')
    .option('--priority <n>', 'priority (default 1)', intArg(0, 1_000_000))
    .action(
      async (
        userId: string,
        to: string,
        text: string,
        opts: { priority?: number },
        cmd: Command,
      ) => {
        const c = context(cmd);
        const sent = await c.adapter.send({
          sender_user_id: userId,
          to,
          content: text,
          ...(opts.priority === undefined ? {} : { priority: opts.priority }),
        });
        c.emit(sent, () =>
          renderFields(
            [
              ['message', sent.message_id],
              ['status', sent.status, stateColour(sent.status)],
              ['from', sent.from],
              ['to', sent.to],
            ],
            c.config.colour,
          ),
        );
      },
    );

  program
    .command('message <message_id>')
    .description("a page's delivery state and its attempts")
    .action(async (messageId: string, _opts: unknown, cmd: Command) => {
      const c = context(cmd);
      const m = await c.adapter.message(messageId);
      c.emit(m, () => {
        const fields = renderFields(
          [
            ['message', m.message_id],
            ['status', m.status, stateColour(m.status)],
            ['attempts', m.attempts],
            ['last error', m.last_error],
            ['created', m.created_at],
            ['delivered', m.delivered_at],
          ],
          c.config.colour,
        );
        const history = m.attempt_history;
        return history === undefined
          ? fields
          : `${fields}\n${renderTable(ATTEMPT_COLUMNS, history, c.config.colour)}`;
      });
    });

  program
    .command('inbox <user_id>')
    .description("a user's received pages, newest first")
    .option('--sent', 'the sent box instead')
    .option('--limit <n>', 'at most n pages', intArg(1, 1000))
    .action(async (userId: string, opts: { sent?: boolean; limit?: number }, cmd: Command) => {
      const c = context(cmd);
      const box = await c.adapter.box(userId, {
        box: opts.sent ? 'sent' : 'inbox',
        limit: opts.limit,
      });
      c.emit(box, () =>
        renderTable(
          [
            { header: 'RECEIVED', value: (m) => m.created_at },
            { header: 'FROM', value: (m) => m.from },
            { header: 'TO', value: (m) => m.to },
            { header: 'PRI', value: (m) => m.priority, right: true },
            { header: 'STATUS', value: (m) => m.status, colour: (m) => stateColour(m.status) },
            { header: 'TEXT', value: (m) => truncate(m.content, 60) },
            { header: 'ID', value: (m) => m.message_id },
          ],
          box.messages,
          c.config.colour,
        ),
      );
    });

  return program;
}

function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/** The human rendering of `fedctl status`. */
export function renderStatus(s: StatusSummary, colour: boolean): string {
  const healthColour =
    s.health === 'healthy' ? 'green' : s.health === 'degraded' ? 'yellow' : 'red';
  const ready = (v: string) => (v === 'ready' ? 'green' : 'red');
  const destinations = s.destinations
    ? Object.entries(s.destinations)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')
    : null;
  const out = renderFields(
    [
      ['health', s.health, healthColour],
      ['server', s.server_id],
      ['fingerprint', s.fingerprint],
      ...(s.previous_fingerprint
        ? ([['previous key', `${s.previous_fingerprint} (rotating)`]] as [string, string][])
        : []),
      ['discovery', s.discovery, ready(s.discovery)],
      ['adapter', s.adapter, ready(s.adapter)],
      [
        'peers',
        s.peers_known === null
          ? null
          : `${s.peers_known} known, ${s.peers_live} live, ${s.peers_blocked} blocked`,
      ],
      ['neighbours', s.neighbours],
      ['destinations', destinations],
      [
        'pages',
        s.pages_waiting === null
          ? null
          : `${s.pages_waiting} waiting, ${s.pages_in_flight} in flight`,
      ],
      [
        'gossip rounds',
        s.gossip_exchanges === null
          ? null
          : `${s.gossip_exchanges.ok} ok, ${s.gossip_exchanges.failed} failed (as initiator, since start)`,
      ],
    ],
    colour,
  );
  const problems = s.problems.map((p) => `  ${paint('!', 'yellow', colour)} ${cellText(p)}\n`);
  return problems.length ? `${out}\n${problems.join('')}` : out;
}
