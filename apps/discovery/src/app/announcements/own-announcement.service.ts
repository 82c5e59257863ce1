import { Inject, Injectable } from '@nestjs/common';
import {
  Announcement,
  PROTOCOL_VERSION,
  addRotationSignature,
  formatProtocolTimestamp,
  signObjectAsync,
} from '@pager/protocol';
import { JsonLogger, ServerKey } from '@pager/server-kit';
import { DISCOVERY_CONFIG, DiscoveryConfig } from '../config/discovery-config';
import { peerEntryFromAnnouncement } from '@pager/gossip-core';
import { PeerStore } from '../peers/peer-store.service';
import { rotationSignatureDue } from '../core/key-rotation';
import { KeyRotationStore } from './key-rotation.store';
import { OwnAnnouncementHolder } from './own-announcement.holder';

/**
 * Builds, signs and stores this server's announcement (it counts in the digest too). During
 * a key rotation (PREVIOUS_KEY_PATH names another key) the announcement also carries a
 * `rotation_signature` by the previous key, for one announcement lifetime from the start of
 * the rotation (docs/protocol.md §2, §14).
 */
@Injectable()
export class OwnAnnouncementService {
  private lastTimestampMs = 0;

  constructor(
    @Inject(DISCOVERY_CONFIG) private readonly config: DiscoveryConfig,
    @Inject(ServerKey) private readonly key: ServerKey,
    @Inject(PeerStore) private readonly peers: PeerStore,
    @Inject(OwnAnnouncementHolder) private readonly holder: OwnAnnouncementHolder,
    @Inject(JsonLogger) private readonly logger: JsonLogger,
    @Inject(KeyRotationStore) private readonly rotations: KeyRotationStore,
  ) {}

  /** The current announcement, signing the first one if none exists yet. */
  async current(): Promise<Announcement> {
    return this.holder.get() ?? this.refresh();
  }

  /** Re-signs with a new timestamp (strictly later than the last) and stores it. */
  async refresh(): Promise<Announcement> {
    const nowMs = Math.max(Date.now(), this.lastTimestampMs + 1);
    this.lastTimestampMs = nowMs;
    // One pair for the whole announcement, even if a reload swaps the keys meanwhile.
    const { current, previous } = this.key.snapshot();
    const rotatingFrom =
      previous !== null &&
      rotationSignatureDue(
        await this.rotations.startedAt(previous.fingerprint, current.fingerprint, nowMs),
        nowMs,
        this.config.announcementTtlMs,
      )
        ? previous
        : null;
    const unsigned = {
      version: PROTOCOL_VERSION,
      server_id: this.config.serverId,
      public_key: current.publicKeyPem,
      capabilities: { paging: true, ai_messaging: false, supported_versions: [PROTOCOL_VERSION] },
      endpoints: {
        federation: this.config.federationPublicUrl,
        discovery: this.config.discoveryPublicUrl,
      },
      timestamp: formatProtocolTimestamp(nowMs),
    };
    const selfSigned = await signObjectAsync(unsigned, current.privateKey);
    const signed = (
      rotatingFrom === null ? selfSigned : addRotationSignature(selfSigned, rotatingFrom.privateKey)
    ) as Announcement;
    const entry = peerEntryFromAnnouncement(signed as unknown as Record<string, unknown>, nowMs);
    if (entry === null) throw new Error('own announcement is malformed');
    // Forced: a previous run (or another key) may have left a later timestamp behind.
    await this.peers.upsertIfNewer(entry, current.fingerprint, { force: true });
    this.holder.set(signed);
    this.logger.event(
      'discovery.announcement_signed',
      {
        timestamp: signed.timestamp,
        fingerprint: current.fingerprint,
        rotation_from: rotatingFrom?.fingerprint,
      },
      rotatingFrom === null ? 'debug' : 'info',
    );
    return signed;
  }
}
