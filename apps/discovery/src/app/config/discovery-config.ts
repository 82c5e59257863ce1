import { CommonConfig, ConfigError, Env, EnvReader, loadCommonConfig } from '@pager/server-kit';
import { PeerFileProbe, peerFileProblem, probePeerFile } from './peer-files';

export interface DiscoveryConfig extends CommonConfig {
  bootstrapServers: string[];
  peerFiles: string[];
  gossipIntervalMs: number;
  gossipJitterMs: number;
  neighborCount: number;
  announcementTtlMs: number;
  /** How often the own announcement is re-signed; must stay well under the TTL. */
  announcementRefreshMs: number;
  rateLimitQueriesPerHour: number;
  rateLimitGossipPerHour: number;
  /** Budget of floods to resolve unknown senders of inbound messages (routing/flood-budget.ts). */
  senderLookupFloodsPerClientPerMinute: number;
  senderLookupFloodsPerMinute: number;
  senderLookupFloodsPerHour: number;
  /** Table bound (announcements/table-bound.ts). */
  maxKnownServers: number;
  relayedServersPerNeighbourPerHour: number;
  /**
   * Careful first contact (docs/protocol.md §14): distinct paths that must bring the same key
   * before a new server is pinned; 1 (the default) is plain trust on first use.
   */
  pinConfirmations: number;
  /**
   * LISTEN for changes of peers, blocklist and pins (`ChangeFeed`) instead of reading the
   * table version per use (DATABASE_CHANGE_NOTIFY, default true). Turn it off behind a
   * transaction-pooling PgBouncer, which does not carry LISTEN sessions.
   */
  changeNotify: boolean;
}

/**
 * The discovery daemon's settings, validated (README.md, Configuration).
 * @param probe looks at each PEER_FILES path (tests give a fake one).
 * @throws ConfigError naming the variable and what is wrong; a PEER_FILES path that is
 *   missing or cannot be read is one.
 */
export function loadDiscoveryConfig(
  env: Env = process.env,
  probe: (path: string) => PeerFileProbe = probePeerFile,
): DiscoveryConfig {
  const common = loadCommonConfig('discovery', env);
  const read = new EnvReader(env);
  const bootstrapServers = read.list('BOOTSTRAP_SERVERS').map((url, i) => {
    try {
      const parsed = new URL(url);
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error();
    } catch {
      throw new ConfigError(`BOOTSTRAP_SERVERS entry ${i + 1} is not an http(s) URL: "${url}"`);
    }
    return url.replace(/\/+$/, '');
  });
  const peerFiles = read.list('PEER_FILES');
  for (const path of peerFiles) {
    const problem = peerFileProblem(path, probe(path));
    if (problem !== undefined) throw new ConfigError(problem);
  }
  const announcementTtlMs = read.int('ANNOUNCEMENT_TTL_MS', 86_400_000, 60_000, 7 * 86_400_000);
  return {
    ...common,
    bootstrapServers,
    peerFiles,
    gossipIntervalMs: read.int('GOSSIP_INTERVAL_MS', 30_000, 100, 3_600_000),
    gossipJitterMs: read.int('GOSSIP_JITTER_MS', 5_000, 0, 3_600_000),
    neighborCount: read.int('NEIGHBOR_COUNT', 8, 5, 10),
    announcementTtlMs,
    announcementRefreshMs: read.int(
      'ANNOUNCEMENT_REFRESH_MS',
      Math.min(6 * 3_600_000, Math.floor(announcementTtlMs / 4)),
      1_000,
      6 * 3_600_000,
    ),
    rateLimitQueriesPerHour: read.int('RATE_LIMIT_QUERIES_PER_HOUR', 100, 1, 10_000_000),
    rateLimitGossipPerHour: read.int('RATE_LIMIT_GOSSIP_PER_HOUR', 120, 1, 10_000_000),
    senderLookupFloodsPerClientPerMinute: read.int(
      'SENDER_LOOKUP_FLOODS_PER_CLIENT_PER_MINUTE',
      2,
      0,
      10_000,
    ),
    senderLookupFloodsPerMinute: read.int('SENDER_LOOKUP_FLOODS_PER_MINUTE', 5, 0, 10_000),
    // A quarter of what our neighbours allow us by default: the rest stays for our users.
    senderLookupFloodsPerHour: read.int('SENDER_LOOKUP_FLOODS_PER_HOUR', 25, 0, 1_000_000),
    maxKnownServers: read.int('MAX_KNOWN_SERVERS', 20_000, 10, 1_000_000),
    relayedServersPerNeighbourPerHour: read.int(
      'RELAYED_SERVERS_PER_NEIGHBOUR_PER_HOUR',
      2_000,
      1,
      1_000_000,
    ),
    pinConfirmations: read.int('PIN_CONFIRMATIONS', 1, 1, 10),
    changeNotify: read.bool('DATABASE_CHANGE_NOTIFY', true),
  };
}

/** Injection token of the validated DiscoveryConfig. */
export const DISCOVERY_CONFIG = Symbol('DISCOVERY_CONFIG');
