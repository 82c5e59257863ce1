import { Inject, Injectable } from '@nestjs/common';
import { PeerFileDto, validateWire } from '@pager/protocol';
import { JsonLogger } from '@pager/server-kit';
import { readFile } from 'node:fs/promises';
import { AnnouncementIntake } from '../announcements/announcement-intake.service';
import { DISCOVERY_CONFIG, DiscoveryConfig } from '../config/discovery-config';
import { GossipService } from '../gossip/gossip.service';
import { CandidateStore } from '../peers/candidate-store.service';
import { EndpointChecker } from '../common/endpoint-checker';
import { PEER_HTTP, PeerHttp, describeFailure, joinUrl } from '../common/peer-http';

/** Stale candidates (never verified within CANDIDATE_GIVE_UP_MS) are looked for this often. */
const STALE_CHECK_MS = 10_000;

const ANNOUNCEMENT_TIMEOUT_MS = 5_000;

/**
 * Joins the network: each candidate discovery endpoint (BOOTSTRAP_SERVERS, PEER_FILES,
 * imports) is asked for its announcement, which is verified like any other, and gossiped
 * with. Failed candidates are retried on later rounds.
 */
@Injectable()
export class BootstrapService {
  private running: Promise<void> | null = null;
  /** When this replica last looked for stale candidates (ms; -Infinity: never). */
  private staleCheckedAtMs = Number.NEGATIVE_INFINITY;

  constructor(
    @Inject(DISCOVERY_CONFIG) private readonly config: DiscoveryConfig,
    @Inject(CandidateStore) private readonly candidates: CandidateStore,
    @Inject(AnnouncementIntake) private readonly intake: AnnouncementIntake,
    @Inject(GossipService) private readonly gossip: GossipService,
    @Inject(EndpointChecker) private readonly endpoints: EndpointChecker,
    @Inject(PEER_HTTP) private readonly http: PeerHttp,
    @Inject(JsonLogger) private readonly logger: JsonLogger,
  ) {}

  /** Records the configured candidates (bootstrap servers and peer files). */
  async seedFromConfig(): Promise<void> {
    for (const url of this.config.bootstrapServers)
      await this.candidates.add(url, null, 'bootstrap');
    for (const path of this.config.peerFiles) {
      try {
        const file = validateWire(PeerFileDto, JSON.parse(await readFile(path, 'utf8')));
        if (!file.ok) throw new Error(file.errors.join('; '));
        await this.candidates.addMany(
          file.value.peers.map((peer) => ({
            url: peer.endpoints.discovery.replace(/\/+$/, ''),
            serverId: peer.server_id,
          })),
          `file:${path}`,
        );
      } catch (err) {
        this.logger.event(
          'discovery.peer_file_unreadable',
          { path, error: (err as Error).message },
          'warn',
        );
      }
    }
  }

  /** Contacts every candidate not yet reached (one pass at a time). */
  contactPending(): Promise<void> {
    this.running ??= this.contactAll().finally(() => (this.running = null));
    return this.running;
  }

  /**
   * One paced pass: drops candidates that never verified within CANDIDATE_GIVE_UP_MS, then
   * contacts at most CANDIDATES_PER_ROUND of those due (each failure backs off, 1 min
   * doubling to 1 h), so a file of 10,000 dead entries costs 20 contacts per round.
   */
  private async contactAll(): Promise<void> {
    // Candidates give up after hours: dropping them every STALE_CHECK_MS is plenty.
    const nowMs = Date.now();
    const checkStale = nowMs - this.staleCheckedAtMs >= STALE_CHECK_MS;
    if (checkStale) this.staleCheckedAtMs = nowMs;
    const dropped = checkStale ? await this.candidates.dropStale() : [];
    if (dropped.length > 0) {
      this.logger.event('discovery.candidates_dropped', {
        count: dropped.length,
        urls: dropped.slice(0, 20),
      });
    }
    const pending = await this.candidates.dueForRound(nowMs);
    await Promise.all(
      pending.map(async (candidate) => {
        try {
          const serverId = await this.contact(candidate.url, candidate.serverId);
          await this.candidates.markSuccess(candidate.url, serverId);
          this.logger.event('discovery.bootstrap_contacted', {
            url: candidate.url,
            server_id: serverId,
          });
        } catch (err) {
          await this.candidates.markFailure(candidate.url, (err as Error).message);
          this.logger.event(
            'discovery.bootstrap_failed',
            { url: candidate.url, error: (err as Error).message },
            'debug',
          );
        }
      }),
    );
  }

  /** GET {url}/announcement, verify and store it, then gossip; the server's id. */
  private async contact(url: string, claimedServerId: string | null): Promise<string> {
    const hostCheck = await this.endpoints.checkUrl(url, claimedServerId ?? hostOf(url));
    if (!hostCheck.ok) throw new Error(`endpoint policy: ${hostCheck.reason}`);
    const response = await this.http.get(joinUrl(url, '/announcement'), {
      timeout: ANNOUNCEMENT_TIMEOUT_MS,
    });
    if (response.status !== 200) throw new Error(describeFailure(response.status, response.data));
    const announcement: unknown = response.data;
    const serverId =
      typeof announcement === 'object' && announcement !== null
        ? (announcement as Record<string, unknown>)['server_id']
        : undefined;
    if (typeof serverId !== 'string') throw new Error('reply is not an announcement');
    if (claimedServerId !== null && serverId !== claimedServerId) {
      throw new Error(`announcement is for ${serverId}, the peer file says ${claimedServerId}`);
    }
    if (serverId === this.config.serverId) return serverId;
    // A server of BOOTSTRAP_SERVERS is the operator's trust anchor: pinned at first contact
    // whatever PIN_CONFIRMATIONS (docs/protocol.md §14); peer files confer no trust.
    const trustAnchor = this.config.bootstrapServers.includes(url);
    const outcome = await this.intake.accept(announcement, null, { trustAnchor });
    if (outcome.outcome === 'rejected')
      throw new Error(`announcement refused: ${outcome.reason} (${outcome.message})`);
    // Not pinned yet: nothing is sent to it; relays by pinned neighbours will confirm it.
    if (outcome.outcome === 'pending') return serverId;
    await this.gossip.exchangeWith({ serverId, discoveryUrl: url });
    return serverId;
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return '';
  }
}
