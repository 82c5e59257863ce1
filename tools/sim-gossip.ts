/**
 * `npm run sim:gossip -- --servers 10000 --seeds 5 [--json]`: the gossip simulator of
 * libs/gossip-core (the daemon's own exchange steps, tables and neighbour choice, in-memory
 * transport, simulated clock). Runs each scenario (cold start, join, refresh) on both
 * schedules (lockstep rounds and the real `interval + U(0, jitter)` one) for each seed, and
 * reports median and max over the seeds, as a table on stdout (or one JSON object with
 * --json) and an SVG plot of the spread per round. Progress goes to stderr.
 *
 * Options: --servers N (1000) --seeds K (5) --down F (0) --loss F (0) --neighbours N (8)
 * --max-rounds N (200) --svg PATH (tmp/sim-gossip-<N>.svg) --cold (cold start above 2,000
 * servers too: every server then holds its own full table, O(N²) memory) --json
 * --scenarios cold,join,refresh (all).
 */
import {
  Scenario,
  Schedule,
  SimulationOptions,
  SimulationResult,
  simulate,
} from '@pager/gossip-core';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

interface Args {
  servers: number;
  seeds: number;
  down: number;
  loss: number;
  neighbours: number;
  maxRounds: number;
  svg: string;
  cold: boolean;
  json: boolean;
  scenarios: Scenario[];
}

const COLD_LIMIT = 2_000;
const SCENARIOS: Scenario[] = ['cold', 'join', 'refresh'];
const SCHEDULES: Schedule[] = ['lockstep', 'async'];

function parseArgs(argv: string[]): Args {
  const args: Args = {
    servers: 1_000,
    seeds: 5,
    down: 0,
    loss: 0,
    neighbours: 8,
    maxRounds: 200,
    svg: '',
    cold: false,
    json: false,
    scenarios: [...SCENARIOS],
  };
  const number = (flag: string, value: string | undefined, min: number, max: number) => {
    const n = Number(value);
    if (value === undefined || !Number.isFinite(n) || n < min || n > max) {
      throw new Error(`${flag} needs a number from ${min} to ${max}, got "${value ?? ''}"`);
    }
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--json') args.json = true;
    else if (flag === '--cold') args.cold = true;
    else if (flag === '--servers') args.servers = Math.floor(number(flag, argv[++i], 2, 200_000));
    else if (flag === '--seeds') args.seeds = Math.floor(number(flag, argv[++i], 1, 100));
    else if (flag === '--down') args.down = number(flag, argv[++i], 0, 0.9);
    else if (flag === '--loss') args.loss = number(flag, argv[++i], 0, 0.9);
    else if (flag === '--neighbours') args.neighbours = Math.floor(number(flag, argv[++i], 1, 50));
    else if (flag === '--max-rounds')
      args.maxRounds = Math.floor(number(flag, argv[++i], 1, 10_000));
    else if (flag === '--svg') args.svg = argv[++i] ?? '';
    else if (flag === '--scenarios') {
      const list = (argv[++i] ?? '').split(',');
      if (list.some((s) => !SCENARIOS.includes(s as Scenario)) || list.length === 0) {
        throw new Error(`--scenarios takes a comma-separated list of ${SCENARIOS.join(', ')}`);
      }
      args.scenarios = list as Scenario[];
    } else throw new Error(`unknown option ${flag}`);
  }
  if (args.svg === '') args.svg = `tmp/sim-gossip-${args.servers}.svg`;
  return args;
}

interface Stat {
  median: number | null;
  max: number | null;
}

function stat(values: number[]): Stat {
  if (values.length === 0) return { median: null, max: null };
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, max: sorted[sorted.length - 1] };
}

interface Cell {
  scenario: Scenario;
  schedule: Schedule;
  results: SimulationResult[];
  /** Fraction reached per round, first seed, for the plot. */
  curve: number[];
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const cpuStart = process.cpuUsage();
  const heapBase = process.memoryUsage().heapUsed;
  let peakRss = process.memoryUsage().rss;
  let coldHeapPerServer: number | null = null;
  let joinHeapPerServer: number | null = null;
  const cells: Cell[] = [];
  const scenarios = args.scenarios.filter(
    (s) => s !== 'cold' || args.cold || args.servers <= COLD_LIMIT,
  );
  const log = (line: string) => {
    if (!args.json || process.stderr.isTTY || true) process.stderr.write(`${line}\n`);
  };

  for (const scenario of scenarios) {
    for (const schedule of SCHEDULES) {
      const cell: Cell = { scenario, schedule, results: [], curve: [] };
      cells.push(cell);
      for (let seed = 1; seed <= args.seeds; seed++) {
        const runStarted = Date.now();
        let lastLog = Date.now();
        const options: SimulationOptions = {
          servers: args.servers,
          seed,
          scenario,
          schedule,
          down: args.down,
          loss: args.loss,
          neighbours: args.neighbours,
          maxRounds: args.maxRounds,
          onProgress: (p) => {
            if (seed === 1) cell.curve[p.round] = p.reached;
            if (Date.now() - lastLog > 5_000) {
              lastLog = Date.now();
              log(
                `  … ${scenario}/${schedule} seed ${seed}: round ${p.round}, ` +
                  `${(p.reached * 100).toFixed(1)} % reached`,
              );
            }
          },
          onFinish: () => {
            const memory = process.memoryUsage();
            peakRss = Math.max(peakRss, memory.rss);
            const perServer = (memory.heapUsed - heapBase) / args.servers;
            if (scenario === 'cold')
              coldHeapPerServer = Math.max(coldHeapPerServer ?? 0, perServer);
            if (scenario === 'join')
              joinHeapPerServer = Math.max(joinHeapPerServer ?? 0, perServer);
          },
        };
        const result = simulate(options);
        cell.results.push(result);
        log(
          `${scenario}/${schedule} seed ${seed}: ${result.converged ? '' : 'NOT converged after '}` +
            `${result.rounds} rounds, ${(result.simulatedMs / 1000).toFixed(0)} s simulated, ` +
            `${result.exchanges} exchanges, ${Math.round(result.bytesPerExchange)} B/exchange ` +
            `(${((Date.now() - runStarted) / 1000).toFixed(1)} s wall)`,
        );
      }
    }
  }

  const cpu = process.cpuUsage(cpuStart);
  const find = (scenario: Scenario, schedule: Schedule) =>
    cells.find((c) => c.scenario === scenario && c.schedule === schedule)?.results ?? [];
  const rounds = (scenario: Scenario, schedule: Schedule = 'lockstep') => {
    const results = find(scenario, schedule);
    return results.every((r) => r.converged)
      ? stat(results.map((r) => r.rounds))
      : unconverged(results);
  };
  const seconds = (scenario: Scenario, schedule: Schedule) =>
    stat(find(scenario, schedule).map((r) => Math.round(r.simulatedMs / 1000)));
  const steady = stat(
    cells
      .flatMap((c) => c.results)
      .map((r) => r.steadyBytesPerExchange)
      .filter((b): b is number => b !== null),
  );
  const joinBytes = stat(find('join', 'lockstep').map((r) => Math.round(r.bytesPerExchange)));
  const joinMaxExchange = stat(find('join', 'lockstep').map((r) => r.maxExchangeBytes));

  const report = {
    servers: args.servers,
    seeds: args.seeds,
    down: args.down,
    loss: args.loss,
    neighbours: args.neighbours,
    cold_rounds: scenarios.includes('cold') ? rounds('cold') : { median: null, max: null },
    join_rounds: rounds('join'),
    refresh_rounds: rounds('refresh'),
    cold_time_s: scenarios.includes('cold')
      ? seconds('cold', 'async')
      : { median: null, max: null },
    join_time_s: seconds('join', 'async'),
    refresh_time_s: seconds('refresh', 'async'),
    async_join_rounds: rounds('join', 'async'),
    async_refresh_rounds: rounds('refresh', 'async'),
    steady_bytes_per_exchange: steady.median === null ? null : Math.round(steady.median),
    join_bytes_per_exchange: joinBytes,
    join_max_exchange_bytes: joinMaxExchange,
    heap_kb_per_server_cold:
      coldHeapPerServer === null ? null : Math.round(coldHeapPerServer / 1024),
    heap_kb_per_server_converged_shared:
      joinHeapPerServer === null ? null : Math.round(joinHeapPerServer / 1024),
    rss_mb: Math.round(peakRss / 1_048_576),
    cpu_s: Math.round((cpu.user + cpu.system) / 1e5) / 10,
    wall_s: Math.round((Date.now() - started) / 100) / 10,
    cold_skipped:
      scenarios.includes('cold') || !args.scenarios.includes('cold')
        ? null
        : `cold start skipped above ${COLD_LIMIT} servers (every server holds a full table: O(N²) memory); pass --cold to run it`,
    svg: resolve(args.svg),
  };

  mkdirSync(dirname(resolve(args.svg)), { recursive: true });
  writeFileSync(resolve(args.svg), plot(cells, args));

  if (args.json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return;
  }
  const fmt = (s: Stat) => (s.median === null ? '—' : `${s.median} / ${s.max}`);
  const lines = [
    `gossip simulation: ${args.servers} servers, ${args.seeds} seeds, ${args.neighbours} neighbours, ` +
      `${args.down * 100} % down, ${args.loss * 100} % loss (median / max over seeds)`,
    '',
    '| scenario | lockstep rounds | async rounds | async simulated time (s) | bytes/exchange (lockstep) |',
    '|---|---|---|---|---|',
  ];
  for (const scenario of scenarios) {
    lines.push(
      `| ${scenario} | ${fmt(rounds(scenario))} | ${fmt(rounds(scenario, 'async'))} | ` +
        `${fmt(seconds(scenario, 'async'))} | ` +
        `${fmt(stat(find(scenario, 'lockstep').map((r) => Math.round(r.bytesPerExchange))))} |`,
    );
  }
  lines.push(
    '',
    `steady state: ${report.steady_bytes_per_exchange} bytes per exchange (gossip + in_sync reply)`,
    `during a join: ${fmt(joinBytes)} bytes per exchange, largest exchange ${fmt(joinMaxExchange)} bytes`,
    `memory: heap ${report.heap_kb_per_server_cold ?? '—'} KB per server with own full tables (cold start), ` +
      `${report.heap_kb_per_server_converged_shared ?? '—'} KB per server on a shared converged table; peak RSS ${report.rss_mb} MB`,
    `cost: ${report.cpu_s} s CPU, ${report.wall_s} s wall; plot: ${report.svg}`,
  );
  if (report.cold_skipped) lines.push(report.cold_skipped);
  process.stdout.write(`${lines.join('\n')}\n`);
}

function unconverged(results: SimulationResult[]): Stat {
  // A seed that did not converge counts as the round limit it stopped at, marked by the max.
  const values = results.map((r) => (r.converged ? r.rounds : Number.POSITIVE_INFINITY));
  const s = stat(values);
  return {
    median: s.median === Number.POSITIVE_INFINITY ? null : s.median,
    max: s.max === Number.POSITIVE_INFINITY ? null : s.max,
  };
}

/** Fraction of live servers reached per round (first seed), one line per scenario/schedule. */
function plot(cells: Cell[], args: Args): string {
  const width = 720;
  const height = 360;
  const left = 50;
  const bottom = 40;
  const maxRound = Math.max(2, ...cells.map((c) => c.curve.length - 1));
  const x = (round: number) => left + ((width - left - 20) * round) / maxRound;
  const y = (fraction: number) => height - bottom - (height - bottom - 20) * fraction;
  const colours = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="14">Gossip spread, ${args.servers} servers (seed 1, ${args.down * 100} % down, ${args.loss * 100} % loss)</text>`,
    `<line x1="${left}" y1="${y(0)}" x2="${width - 20}" y2="${y(0)}" stroke="black"/>`,
    `<line x1="${left}" y1="${y(0)}" x2="${left}" y2="${y(1)}" stroke="black"/>`,
    `<text x="${width / 2}" y="${height - 8}">round (async: simulated time / 32.5 s)</text>`,
    `<text x="4" y="${y(1) + 4}">100 %</text><text x="10" y="${y(0)}">0 %</text>`,
  ];
  for (let r = 0; r <= maxRound; r += Math.max(1, Math.ceil(maxRound / 10))) {
    parts.push(`<text x="${x(r) - 4}" y="${y(0) + 14}">${r}</text>`);
  }
  cells.forEach((cell, i) => {
    const points = cell.curve
      .map((fraction, round) =>
        fraction === undefined ? '' : `${x(round).toFixed(1)},${y(fraction).toFixed(1)}`,
      )
      .filter((p) => p !== '')
      .join(' ');
    const colour = colours[i % colours.length];
    parts.push(
      `<polyline fill="none" stroke="${colour}" stroke-width="2"${cell.schedule === 'async' ? ' stroke-dasharray="5,3"' : ''} points="${points}"/>`,
      `<text x="${width - 170}" y="${y(0) - 12 - 14 * i}" fill="${colour}">${cell.scenario} (${cell.schedule})</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}

try {
  main();
} catch (err) {
  process.stderr.write(`sim:gossip: ${(err as Error).message}\n`);
  process.exit(2);
}
