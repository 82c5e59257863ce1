import { Inject, Injectable, Optional } from '@nestjs/common';
import {
  isValidServerId,
  parseProtocolTimestamp,
  parsePublicKey,
  verifyRotationSignature,
} from '@pager/protocol';
import { JsonLogger } from '@pager/server-kit';
import { DiscoveryMetrics } from '../metrics/discovery-metrics';
import { PeerStore } from '../peers/peer-store.service';
import { PeerTableCache } from '../peers/peer-table.cache';
import { PinStore } from '../pins/pin-store.service';
import { ReputationService } from '../reputation/reputation.service';
import { DISCOVERY_CONFIG, DiscoveryConfig } from '../config/discovery-config';
import { DIRECT_PATH, pinPathOf } from '../core';
import { AnnouncementValidator, AnnouncementVerdict, RejectReason } from './announcement-validator';
import { Origin } from './table-bound';
import { TableBound } from './table-bound.service';

export type IntakeOutcome =
  | { outcome: 'stored'; serverId: string }
  /** Valid or not, nothing newer than what we hold. */
  | { outcome: 'ignored'; serverId?: string }
  | { outcome: 'rejected'; reason: RejectReason | 'storage'; message: string }
  /** Verified, but its server is not pinned yet (PIN_CONFIRMATIONS paths): not stored. */
  | { outcome: 'pending'; serverId: string }
  /** Valid or not, a server the table bound does not admit (issue 9, table flooding). */
  | { outcome: 'dropped'; reason: 'table_bound' };

export interface AcceptOptions {
  /** The answer to a query we flooded for this server: not charged to the relaying neighbour. */
  requested?: boolean;
  /** Fetched directly from a server of BOOTSTRAP_SERVERS: pinned at first contact whatever k. */
  trustAnchor?: boolean;
}

/**
 * Takes announcements from gossip, queries and bootstrap: validates, applies the pin
 * (first use or rotation), stores the newer ones, and counts the rest against the sender.
 */
@Injectable()
export class AnnouncementIntake {
  constructor(
    @Inject(AnnouncementValidator) private readonly validator: AnnouncementValidator,
    @Inject(PeerStore) private readonly peers: PeerStore,
    @Inject(PinStore) private readonly pins: PinStore,
    @Inject(ReputationService) private readonly reputation: ReputationService,
    @Inject(DiscoveryMetrics) private readonly metrics: DiscoveryMetrics,
    @Inject(JsonLogger) private readonly logger: JsonLogger,
    @Inject(TableBound) private readonly bound: TableBound,
    @Inject(DISCOVERY_CONFIG) private readonly config: Pick<DiscoveryConfig, 'pinConfirmations'>,
    @Optional()
    @Inject(PeerTableCache)
    private readonly tables?: Pick<PeerTableCache, 'heldTimestampMs'>,
  ) {}

  /** `senderId`: the verified server that passed it on, charged for invalid ones. */
  async accept(
    raw: unknown,
    senderId: string | null,
    options: AcceptOptions = {},
  ): Promise<IntakeOutcome> {
    // Not newer than what we hold: nothing to verify (the common case in a converged network).
    const held = await this.heldAtLeastAsNew(raw);
    if (held !== null) {
      this.metrics.announcements.inc({ outcome: 'ignored', reason: 'not_newer' });
      return { outcome: 'ignored', serverId: held };
    }
    const claimedId = (raw as Record<string, unknown> | null)?.['server_id'];
    const origin: Origin = options.requested
      ? 'requested'
      : senderId === null || senderId === claimedId
        ? 'direct'
        : 'relay';
    // A neighbour past its hourly quota of new servers: drop before any signature check.
    if (origin === 'relay' && senderId !== null && !this.bound.hasRelayQuota(senderId)) {
      if (typeof claimedId !== 'string' || (await this.peers.timestampOf(claimedId)) === null) {
        this.bound.droppedUnverified(claimedId, senderId);
        return { outcome: 'dropped', reason: 'table_bound' };
      }
    }
    const verdict = await this.validator.validate(raw);
    if (verdict.kind === 'ignore') {
      this.metrics.announcements.inc({ outcome: 'ignored', reason: verdict.reason });
      return { outcome: 'ignored' };
    }
    if (verdict.kind === 'reject') {
      if (verdict.conflict !== undefined && verdict.serverId !== undefined) {
        // A key other than the pinned one: recorded in the pin history (rate-limited there).
        await this.pins.recordConflict(
          verdict.serverId,
          verdict.conflict.fingerprint,
          verdict.conflict.pinnedFingerprint,
          pinPathOf(verdict.serverId, senderId),
          verdict.conflict.forgedRotation ? 'forged_rotation' : 'pinned_key_differs',
        );
      }
      return this.rejected(verdict.reason, verdict.message, verdict.serverId, senderId);
    }
    const { entry } = verdict;
    const isNew = (await this.peers.timestampOf(entry.serverId)) === null;
    if (isNew && !(await this.bound.admit(entry.serverId, origin, senderId))) {
      return { outcome: 'dropped', reason: 'table_bound' };
    }
    if (verdict.pin !== 'same') {
      const settled = await this.settlePin(
        raw as Record<string, unknown>,
        verdict,
        senderId,
        options,
      );
      if (settled !== null) return settled;
    }
    let stored: boolean;
    try {
      stored = await this.peers.upsertIfNewer(entry, verdict.fingerprint);
    } catch (err) {
      // e.g. a string PostgreSQL's jsonb refuses (\u0000): the announcement cannot be kept.
      return this.rejected('storage', (err as Error).message, entry.serverId, senderId);
    }
    await this.reputation.touch(entry.serverId);
    this.metrics.announcements.inc({
      outcome: stored ? 'accepted' : 'ignored',
      reason: stored ? 'ok' : 'not_newer',
    });
    if (stored) {
      this.logger.event(
        'discovery.announcement_stored',
        {
          server_id: entry.serverId,
          timestamp: entry.timestamp,
          via: senderId,
        },
        'debug',
      );
    }
    return stored
      ? { outcome: 'stored', serverId: entry.serverId }
      : { outcome: 'ignored', serverId: entry.serverId };
  }

  /**
   * A first pin or a rotation, decided and applied by the pin store (careful first contact
   * with PIN_CONFIRMATIONS > 1, docs/protocol.md §14). Null when the announcement may be
   * stored; otherwise the outcome (pending, or a key conflict refused and counted).
   */
  private async settlePin(
    announcement: Record<string, unknown>,
    verdict: Extract<AnnouncementVerdict, { kind: 'accept' }>,
    senderId: string | null,
    options: AcceptOptions,
  ): Promise<IntakeOutcome | null> {
    const { entry } = verdict;
    const path = pinPathOf(entry.serverId, senderId);
    const pathEstablished = path === DIRECT_PATH || (await this.pins.get(path)) !== null;
    const { decision, logged } = await this.pins.settle({
      serverId: entry.serverId,
      fingerprint: verdict.fingerprint,
      publicKey: verdict.publicKeyPem,
      path,
      pathEstablished,
      required: this.config.pinConfirmations,
      trustAnchor: options.trustAnchor === true && path === DIRECT_PATH,
      announcement,
      timestampMs: entry.timestampMs,
      rotationAgainst: (pinnedPem) =>
        announcement['rotation_signature'] === undefined
          ? 'absent'
          : verifyRotationSignature(announcement, parsePublicKey(pinnedPem))
            ? 'valid'
            : 'invalid',
    });
    switch (decision.kind) {
      case 'keep':
        return null;
      case 'pin':
        this.logger.event('discovery.key_pinned', {
          server_id: entry.serverId,
          fingerprint: verdict.fingerprint,
          paths: decision.paths,
        });
        return null;
      case 'rotate':
        this.logger.event(
          'discovery.key_rotated',
          { server_id: entry.serverId, from: decision.from, to: verdict.fingerprint },
          'warn',
        );
        return null;
      case 'pending':
      case 'unconfirmed':
        this.metrics.announcements.inc({ outcome: 'pending', reason: decision.kind });
        if (decision.kind === 'pending' && decision.newPath) {
          this.logger.event('discovery.key_pending', {
            server_id: entry.serverId,
            fingerprint: verdict.fingerprint,
            paths: decision.paths,
            required: this.config.pinConfirmations,
          });
        }
        return { outcome: 'pending', serverId: entry.serverId };
      case 'conflict': {
        const message =
          (logged ? '' : '(history entry rate-limited) ') +
          (decision.reason === 'paths_disagree'
            ? `paths brought different keys for ${entry.serverId} (${decision.fingerprints.join(', ')})`
            : decision.reason === 'forged_rotation'
              ? `rotation_signature does not verify with the key pinned for ${entry.serverId}`
              : `key differs from the one pinned for ${entry.serverId}`);
        // Counted in reputation only with its history entry (at most one a minute per server,
        // one per refused key between pin changes): whoever sends it is not authenticated as
        // the server it names, so a forger re-sending copies cannot sink that server's score.
        // A disagreement among paths counts once per new (path, key), not per copy.
        const count = logged && (decision.reason !== 'paths_disagree' || decision.newPath);
        return this.rejected('key_conflict', message, count ? entry.serverId : undefined, senderId);
      }
    }
  }

  /** Accepts each, returning how many were stored; invalid ones are dropped and counted. */
  async acceptAll(raws: readonly unknown[], senderId: string | null): Promise<number> {
    let stored = 0;
    for (const raw of raws) {
      if ((await this.accept(raw, senderId)).outcome === 'stored') stored++;
    }
    return stored;
  }

  private async heldAtLeastAsNew(raw: unknown): Promise<string | null> {
    if (typeof raw !== 'object' || raw === null) return null;
    const { server_id: serverId, timestamp } = raw as Record<string, unknown>;
    // The id's syntax first: no query may see a hostile string (U+0000 would make PostgreSQL
    // refuse the statement). An invalid id goes on to the validator, which rejects it.
    if (
      typeof serverId !== 'string' ||
      typeof timestamp !== 'string' ||
      !isValidServerId(serverId)
    ) {
      return null;
    }
    const incomingMs = parseProtocolTimestamp(timestamp);
    if (incomingMs === null) return null;
    // From the gossip table while it is current (no statement), else from PostgreSQL.
    const heldMs =
      this.tables?.heldTimestampMs(serverId) ?? (await this.peers.timestampOf(serverId));
    return heldMs !== null && heldMs >= incomingMs ? serverId : null;
  }

  private async rejected(
    reason: RejectReason | 'storage',
    message: string,
    serverId: string | undefined,
    senderId: string | null,
  ): Promise<IntakeOutcome> {
    this.metrics.announcements.inc({ outcome: 'rejected', reason });
    this.logger.event(
      'discovery.announcement_rejected',
      { reason, message, server_id: serverId, via: senderId },
      reason === 'key_conflict' ? 'warn' : 'debug',
    );
    if (reason === 'key_conflict' && serverId !== undefined) {
      await this.reputation.recordKeyConflict(serverId);
    }
    // A blocked server's announcement is not the sender's fault: passing it on is allowed.
    if (senderId !== null && reason !== 'blocked') {
      await this.reputation.recordInvalidAnnouncement(senderId);
    }
    return { outcome: 'rejected', reason, message };
  }
}
