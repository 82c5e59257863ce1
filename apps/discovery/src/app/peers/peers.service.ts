import { Inject, Injectable } from '@nestjs/common';
import {
  MAX_PEERS_PER_FILE,
  PROTOCOL_VERSION,
  PeerEntryDto,
  PeerFile,
  ProtocolError,
  formatProtocolTimestamp,
  isSupportedVersion,
  isValidServerId,
  parseProtocolTimestamp,
  validateWire,
} from '@pager/protocol';
import { BlocklistService } from '../blocklist/blocklist.service';
import { DISCOVERY_CONFIG, DiscoveryConfig } from '../config/discovery-config';
import { ReputationService } from '../reputation/reputation.service';
import { EndpointChecker } from '../common/endpoint-checker';
import { CandidateStore } from './candidate-store.service';
import { NeighbourSet } from './neighbour-set';
import { PeerStore } from './peer-store.service';
import { PinStore } from '../pins/pin-store.service';
import { pendingPeerPage } from './pending-peers';
import { PeerView, peerView } from './peer-view';

export type { PeerView } from './peer-view';

/** One refused entry of an imported peer file. */
export interface PeerImportError {
  /** Position in `peers`, from 0. */
  index: number;
  /** The entry's server_id when it is a valid one. */
  server_id?: string;
  /** validation_failed, own_server, blocked, endpoint_policy or duplicate. */
  error: string;
  message: string;
}

/** Answer of `POST /api/v1/peers/import`. */
export interface PeerImportResult {
  accepted: number;
  rejected: number;
  errors: PeerImportError[];
}

/**
 * The top level of a peer file (PROTOCOL.md section 8); its entries are checked one by one
 * afterwards. Throws ProtocolError (400) when the body is not a peer file at all.
 */
function requirePeerFileShape(body: unknown): unknown[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ProtocolError('validation_failed', 'body: must be a peer exchange file (an object)');
  }
  const file = body as Record<string, unknown>;
  const version = file['version'];
  if (typeof version !== 'string' || !/^\d+\.\d+$/.test(version)) {
    throw new ProtocolError('validation_failed', 'version: must be "MAJOR.MINOR"');
  }
  if (!isSupportedVersion(version)) {
    throw new ProtocolError('unsupported_version', `version ${version} is not supported`);
  }
  const peers = file['peers'];
  if (!Array.isArray(peers)) {
    throw new ProtocolError('validation_failed', 'peers: must be an array');
  }
  if (peers.length > MAX_PEERS_PER_FILE) {
    throw new ProtocolError(
      'validation_failed',
      `peers: at most ${MAX_PEERS_PER_FILE} entries, got ${peers.length}`,
    );
  }
  const compiledBy = file['compiled_by'];
  if (compiledBy !== undefined && (typeof compiledBy !== 'string' || compiledBy.length > 256)) {
    throw new ProtocolError('validation_failed', 'compiled_by: must be a string of 256 at most');
  }
  const compiledDate = file['compiled_date'];
  if (
    compiledDate !== undefined &&
    (typeof compiledDate !== 'string' || parseProtocolTimestamp(compiledDate) === null)
  ) {
    throw new ProtocolError(
      'validation_failed',
      'compiled_date: must be an RFC 3339 UTC timestamp',
    );
  }
  return peers;
}

/** Most peers per page of `GET /api/v1/peers`, and the default. */
export const PEERS_PAGE_MAX = 1_000;

export interface PeerListQuery {
  limit?: number;
  /** Decoded cursor: the last server_id of the previous page. */
  after?: string;
  blocked?: boolean;
  neighbor?: boolean;
  prefix?: string;
  /**
   * `pinned` (default): the stored peers, whose key is pinned; `pending`: the servers whose
   * key awaits confirmations (PIN_CONFIRMATIONS > 1), not stored as peers yet.
   */
  pin?: 'pinned' | 'pending';
}

export interface PeerPage {
  peers: PeerView[];
  next_cursor: string | null;
}

/** The opaque cursor of a page ending at `serverId` (base64url, so nobody parses it). */
export function encodeCursor(serverId: string): string {
  return Buffer.from(serverId, 'utf8').toString('base64url');
}

/**
 * Parses the query string of `GET /api/v1/peers`; throws ProtocolError (400
 * validation_failed) naming the bad parameter.
 */
export function parsePeerListQuery(raw: Record<string, unknown>): PeerListQuery {
  const query: PeerListQuery = {};
  const text = (name: string): string | undefined => {
    const value = raw[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value.length > 256) {
      throw new ProtocolError(
        'validation_failed',
        `${name}: must be given once, 256 characters at most`,
      );
    }
    return value;
  };
  const flag = (name: string): boolean | undefined => {
    const value = text(name);
    if (value === undefined) return undefined;
    if (value !== 'true' && value !== 'false') {
      throw new ProtocolError('validation_failed', `${name}: must be true or false`);
    }
    return value === 'true';
  };
  const limit = text('limit');
  if (limit !== undefined) {
    if (!/^[0-9]{1,4}$/.test(limit) || Number(limit) < 1 || Number(limit) > PEERS_PAGE_MAX) {
      throw new ProtocolError('validation_failed', `limit: must be 1 to ${PEERS_PAGE_MAX}`);
    }
    query.limit = Number(limit);
  }
  const cursor = text('cursor');
  if (cursor !== undefined) {
    const after = /^[A-Za-z0-9_-]{1,344}$/.test(cursor)
      ? Buffer.from(cursor, 'base64url').toString('utf8')
      : '';
    if (!isValidServerId(after) || encodeCursor(after) !== cursor) {
      throw new ProtocolError('validation_failed', 'cursor: not a cursor this daemon returned');
    }
    query.after = after;
  }
  const prefix = text('prefix');
  if (prefix !== undefined) {
    if (!/^[a-z0-9.-]{1,253}$/.test(prefix)) {
      throw new ProtocolError(
        'validation_failed',
        'prefix: lowercase letters, digits, "." and "-"',
      );
    }
    query.prefix = prefix;
  }
  query.blocked = flag('blocked');
  query.neighbor = flag('neighbor');
  const pin = text('pin');
  if (pin !== undefined) {
    if (pin !== 'pinned' && pin !== 'pending') {
      throw new ProtocolError('validation_failed', 'pin: must be pinned or pending');
    }
    query.pin = pin;
  }
  return query;
}

/** The operator's view of known servers, and peer exchange files in and out. */
@Injectable()
export class PeersService {
  constructor(
    @Inject(DISCOVERY_CONFIG) private readonly config: DiscoveryConfig,
    @Inject(PeerStore) private readonly peers: PeerStore,
    @Inject(NeighbourSet) private readonly neighbours: NeighbourSet,
    @Inject(CandidateStore) private readonly candidates: CandidateStore,
    @Inject(BlocklistService) private readonly blocklist: BlocklistService,
    @Inject(ReputationService) private readonly reputation: ReputationService,
    @Inject(EndpointChecker) private readonly endpoints: EndpointChecker,
    @Inject(PinStore) private readonly pins: PinStore,
  ) {}

  /**
   * Known servers (not ourselves) in server_id order, blocked ones flagged, one page at a
   * time: at most `limit` (default and most PEERS_PAGE_MAX), after the opaque `cursor`;
   * `next_cursor` is null on the last page. Filters: `blocked`, `neighbor`, `prefix`, and
   * `pin=pending` for the servers whose key awaits confirmations instead (pendingPeerPage;
   * servers whose paths disagree have no one key to show: `GET /api/v1/pins` lists them).
   */
  async list(query: PeerListQuery = {}): Promise<PeerPage> {
    const limit = query.limit ?? PEERS_PAGE_MAX;
    if (query.pin === 'pending') {
      const blocked = await this.blocklist.blockedIds();
      const scores = await this.reputation.scores(blocked);
      const pending = await this.pins.pendingPeers();
      return pendingPeerPage(pending, query, limit, blocked, scores, encodeCursor);
    }
    const neighbours = new Set(this.neighbours.list());
    const rows = await this.peers.page({
      after: query.after ?? null,
      limit: limit + 1,
      exceptId: this.config.serverId,
      blocked: query.blocked,
      onlyIds: query.neighbor === true ? [...neighbours] : undefined,
      prefix: query.prefix,
    });
    const more = rows.length > limit;
    const pageRows = (
      query.neighbor === false ? rows.filter((r) => !neighbours.has(r.serverId)) : rows
    ).slice(0, limit);
    const blocked = await this.blocklist.blockedIds();
    const scores = await this.reputation.scores(blocked);
    const last = rows.slice(0, limit).at(-1);
    return {
      peers: pageRows.map((row) => peerView(row, neighbours.has(row.serverId), blocked, scores)),
      next_cursor: more && last !== undefined ? encodeCursor(last.serverId) : null,
    };
  }

  /**
   * Takes the peers of a peer exchange file as candidates (PROTOCOL.md section 8: no trust,
   * each is verified when contacted). Entry by entry: a bad entry is named in `errors` and
   * the others are still taken. Throws `ProtocolError` (400) only when the body is not a
   * peer file at all: not an object, a version other than 1.x, `peers` not an array of at
   * most 10,000, or a malformed `compiled_by` / `compiled_date`.
   */
  async import(body: unknown): Promise<PeerImportResult> {
    const peers = requirePeerFileShape(body);
    const blocked = await this.blocklist.blockedIds();
    const errors: PeerImportError[] = [];
    const accepted = new Map<string, string>();
    for (let index = 0; index < peers.length; index++) {
      const error = await this.checkEntry(peers[index], blocked, accepted);
      if (typeof error === 'string') continue;
      errors.push({ index, ...error });
    }
    // One statement for the whole file: 10,000 entries are one round trip, not 10,000.
    await this.candidates.addMany(
      [...accepted].map(([url, serverId]) => ({ url, serverId })),
      'import',
    );
    return { accepted: peers.length - errors.length, rejected: errors.length, errors };
  }

  /** The entry's normalised URL (recorded in `accepted`), or why it is refused. */
  private async checkEntry(
    raw: unknown,
    blocked: ReadonlySet<string>,
    accepted: Map<string, string>,
  ): Promise<string | Omit<PeerImportError, 'index'>> {
    const claimed =
      typeof raw === 'object' && raw !== null && !Array.isArray(raw)
        ? (raw as Record<string, unknown>)['server_id']
        : undefined;
    const serverId =
      typeof claimed === 'string' && isValidServerId(claimed) ? { server_id: claimed } : {};
    const checked = validateWire(PeerEntryDto, raw);
    if (!checked.ok) {
      return { ...serverId, error: 'validation_failed', message: checked.errors.join('; ') };
    }
    const peer = checked.value;
    if (!isValidServerId(peer.server_id)) {
      return {
        error: 'validation_failed',
        message: 'server_id: must be a lowercase DNS name',
      };
    }
    const id = { server_id: peer.server_id };
    if (peer.server_id === this.config.serverId) {
      return { ...id, error: 'own_server', message: 'this is our own server_id' };
    }
    if (blocked.has(peer.server_id)) {
      return { ...id, error: 'blocked', message: `${peer.server_id} is on the blocklist` };
    }
    const url = peer.endpoints.discovery.replace(/\/+$/, '');
    const policy = await this.endpoints.checkUrl(url, peer.server_id);
    if (!policy.ok) {
      return { ...id, error: 'endpoint_policy', message: `endpoints.discovery: ${policy.reason}` };
    }
    if (accepted.has(url)) {
      return { ...id, error: 'duplicate', message: `endpoints.discovery ${url} is listed twice` };
    }
    accepted.set(url, peer.server_id);
    return url;
  }

  /** A peer exchange file of the live, unblocked servers we know, ourselves included. */
  async export(): Promise<PeerFile> {
    const nowMs = Date.now();
    const table = await this.peers.shareableTable(nowMs, this.config.announcementTtlMs);
    const rows = await this.peers.all();
    const lastSeen = new Map(rows.map((r) => [r.serverId, r.lastSeen.getTime()]));
    const peers = [...table.values()]
      .sort((a, b) => (a.serverId < b.serverId ? -1 : a.serverId > b.serverId ? 1 : 0))
      .flatMap((entry) => {
        const discovery = (
          entry.announcement['endpoints'] as Record<string, unknown> | undefined
        )?.['discovery'];
        if (typeof discovery !== 'string') return [];
        return [
          {
            server_id: entry.serverId,
            endpoints: { discovery },
            last_seen: formatProtocolTimestamp(lastSeen.get(entry.serverId) ?? entry.timestampMs),
          },
        ];
      });
    return {
      version: PROTOCOL_VERSION,
      peers,
      compiled_by: this.config.serverId,
      compiled_date: formatProtocolTimestamp(nowMs),
    };
  }
}
