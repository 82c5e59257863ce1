/**
 * `npm run bench:discovery-core`: what one steady gossip round costs the daemon's core with
 * 10,000 known servers (PROTOCOL.md section 3), in-process, beside bounds measured in the
 * same run. Not the whole daemon: no PostgreSQL, no HTTP, no RSA (see docs/benchmarks.md).
 *
 * - memory: heap and RSS growth for a GossipTable of N announcements of a real one's size;
 * - steady round: digest (cached), neighbour choice over the table, answering an in-sync
 *   `gossip`, all as GossipService does on a cached table — goal ≤ 5 ms of CPU;
 * - cache miss: rebuilding the table and its digest from N entries (what a changed table
 *   costs once);
 * - bound: SHA-256 of the 64 bucket hashes (the least a digest comparison can cost).
 */
import {
  GossipTable,
  answerGossip,
  chooseNeighbours,
  openExchange,
  pickGossipPartner,
  seededRng,
  simAnnouncement,
  simServerId,
} from '@pager/gossip-core';
import { computeDigestHash } from '@pager/protocol';

const servers = Number(process.argv[2] ?? 10_000);
const rounds = 2_000;
const rng = seededRng(1);
const T0 = Date.parse('2025-10-15T10:00:00Z');

function cpuMs(run: () => void): number {
  const start = process.cpuUsage();
  run();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

global.gc?.();
const before = process.memoryUsage();
// Each announcement parsed from JSON, as the daemon gets them from PostgreSQL (own strings).
const entries = Array.from({ length: servers }, (_, i) => {
  const entry = simAnnouncement(simServerId(i), T0 + i);
  return { ...entry, announcement: JSON.parse(JSON.stringify(entry.announcement)) };
});
let table = new GossipTable(entries);
table.digest();
global.gc?.();
const after = process.memoryUsage();

const self = simServerId(0);
let neighbours: string[] = [];
const steadyMs =
  cpuMs(() => {
    for (let r = 0; r < rounds; r++) {
      const opening = openExchange(table);
      neighbours = chooseNeighbours({
        current: neighbours,
        candidates: table.asCandidates(),
        self,
        unresponsive: [],
        target: 8,
        rng,
      });
      pickGossipPartner(neighbours, rng);
      const answer = answerGossip(table, opening);
      if (!answer.inSync) throw new Error('expected in sync');
    }
  }) / rounds;

const missMs =
  cpuMs(() => {
    for (let r = 0; r < 5; r++) {
      table = new GossipTable(entries);
      table.digest();
    }
  }) / 5;

const hashes = table.digest().bucketHashes;
const boundMs =
  cpuMs(() => {
    for (let r = 0; r < rounds; r++) computeDigestHash(hashes);
  }) / rounds;

const mb = (bytes: number) => (bytes / 1_048_576).toFixed(1);
process.stdout.write(
  [
    `servers known: ${servers}`,
    `table memory: heap +${mb(after.heapUsed - before.heapUsed)} MB, rss +${mb(after.rss - before.rss)} MB ` +
      `(${((after.heapUsed - before.heapUsed) / servers / 1024).toFixed(2)} KB per announcement); rss now ${mb(after.rss)} MB`,
    `steady round (cached digest, neighbour choice, in-sync answer): ${steadyMs.toFixed(3)} ms CPU (goal ≤ 5 ms)`,
    `bound, one digest-hash comparison (SHA-256 of 64 hashes): ${boundMs.toFixed(3)} ms CPU`,
    `cache miss, table and digest rebuilt from ${servers} entries: ${missMs.toFixed(1)} ms CPU`,
  ].join('\n') + '\n',
);
