import { Inject, Injectable } from '@nestjs/common';
import {
  ANNOUNCEMENT_MAX_FUTURE_MS,
  AnnouncementDto,
  InvalidKeyError,
  canonicalize,
  fingerprint,
  isAcceptableServerKey,
  isStorableJson,
  isSupportedVersion,
  isValidServerId,
  parseProtocolTimestamp,
  parsePublicKey,
  validateWire,
  verifyObjectSignature,
  verifyRotationSignature,
} from '@pager/protocol';
import type { KeyObject } from 'node:crypto';
import { BlocklistService } from '../blocklist/blocklist.service';
import { DISCOVERY_CONFIG, DiscoveryConfig } from '../config/discovery-config';
import { PeerEntry, peerEntryFromAnnouncement } from '@pager/gossip-core';
import { PinStore } from '../pins/pin-store.service';
import { EndpointChecker } from '../common/endpoint-checker';
import { OwnAnnouncementHolder } from './own-announcement.holder';

export type RejectReason =
  | 'schema'
  | 'version'
  | 'server_id'
  | 'own_server_id'
  | 'blocked'
  | 'future'
  | 'stale'
  | 'invalid_key'
  | 'weak_key'
  | 'signature'
  | 'key_conflict'
  | 'endpoint';

export type PinAction = 'new' | 'same' | 'rotate';

export type AnnouncementVerdict =
  | {
      kind: 'accept';
      entry: PeerEntry;
      fingerprint: string;
      publicKeyPem: string;
      pin: PinAction;
      /** The fingerprint pinned before a rotation. */
      pinnedFingerprint?: string;
    }
  /** A copy of our own current announcement: nothing to do. */
  | { kind: 'ignore'; reason: 'own_copy' }
  | {
      kind: 'reject';
      reason: RejectReason;
      message: string;
      serverId?: string;
      /** key_conflict: the refused and the pinned fingerprints, and how it tried to rotate. */
      conflict?: { fingerprint: string; pinnedFingerprint: string; forgedRotation: boolean };
    };

type Settings = Pick<DiscoveryConfig, 'serverId' | 'announcementTtlMs'>;

/**
 * Decides whether an announcement may be stored (docs/protocol.md §6). Reads the pin and
 * the blocklist but changes nothing: the intake applies the verdict. The signature is
 * checked over the object as received, so members this code does not know still count.
 */
@Injectable()
export class AnnouncementValidator {
  constructor(
    @Inject(DISCOVERY_CONFIG) private readonly config: Settings,
    @Inject(PinStore) private readonly pins: Pick<PinStore, 'get'>,
    @Inject(BlocklistService) private readonly blocklist: Pick<BlocklistService, 'isBlocked'>,
    @Inject(EndpointChecker) private readonly endpoints: Pick<EndpointChecker, 'checkAnnouncement'>,
    @Inject(OwnAnnouncementHolder) private readonly own: Pick<OwnAnnouncementHolder, 'get'>,
  ) {}

  async validate(raw: unknown, nowMs: number = Date.now()): Promise<AnnouncementVerdict> {
    const wire = validateWire(AnnouncementDto, raw);
    if (!wire.ok) return reject('schema', wire.errors.join('; '));
    const announcement = raw as Record<string, unknown>;
    // Members the DTO does not know are stored too (jsonb): they must be storable as well.
    if (!isStorableJson(announcement)) {
      return reject('schema', 'a string is not well-formed Unicode or holds U+0000');
    }
    const dto = wire.value;
    if (!isSupportedVersion(dto.version)) {
      return reject('version', `version ${dto.version} is not supported`, dto.server_id);
    }
    if (!isValidServerId(dto.server_id)) {
      return reject('server_id', 'server_id is not a lowercase DNS name');
    }
    const serverId = dto.server_id;

    if (serverId === this.config.serverId) {
      const own = this.own.get();
      if (own !== null && canonicalize(own) === canonicalize(announcement)) {
        return { kind: 'ignore', reason: 'own_copy' };
      }
      return reject('own_server_id', 'an announcement for our own server_id', serverId);
    }
    if (await this.blocklist.isBlocked(serverId)) {
      return reject('blocked', `${serverId} is blocked`, serverId);
    }

    const timestampMs = parseProtocolTimestamp(dto.timestamp) as number;
    if (timestampMs - nowMs > ANNOUNCEMENT_MAX_FUTURE_MS) {
      return reject('future', 'timestamp is more than 5 minutes in the future', serverId);
    }
    if (nowMs - timestampMs > this.config.announcementTtlMs) {
      return reject('stale', 'timestamp is older than the announcement lifetime', serverId);
    }

    let key: KeyObject;
    try {
      key = parsePublicKey(dto.public_key);
    } catch (err) {
      const reason = err instanceof InvalidKeyError ? err.message : 'public key cannot be parsed';
      return reject('invalid_key', reason, serverId);
    }
    if (!isAcceptableServerKey(key)) {
      return reject('weak_key', 'key must be RSA of at least 2048 bits with e=65537', serverId);
    }
    if (!verifyObjectSignature(announcement, key)) {
      return reject('signature', 'signature does not verify with public_key', serverId);
    }
    const keyFingerprint = fingerprint(key);

    let pin: PinAction = 'new';
    const pinned = await this.pins.get(serverId);
    if (pinned !== null) {
      if (pinned.fingerprint === keyFingerprint) {
        pin = 'same';
      } else if (
        typeof announcement['rotation_signature'] === 'string' &&
        verifyRotationSignature(announcement, parsePublicKey(pinned.publicKey))
      ) {
        pin = 'rotate';
      } else {
        return {
          ...reject('key_conflict', `key differs from the one pinned for ${serverId}`, serverId),
          conflict: {
            fingerprint: keyFingerprint,
            pinnedFingerprint: pinned.fingerprint,
            forgedRotation: announcement['rotation_signature'] !== undefined,
          },
        };
      }
    }

    const policy = await this.endpoints.checkAnnouncement(serverId, announcement['endpoints']);
    if (!policy.ok) return reject('endpoint', policy.reason, serverId);

    const entry = peerEntryFromAnnouncement(announcement, nowMs);
    if (entry === null) return reject('schema', 'server_id or timestamp unusable', serverId);
    return {
      kind: 'accept',
      entry,
      fingerprint: keyFingerprint,
      publicKeyPem: dto.public_key,
      pin,
      pinnedFingerprint: pinned?.fingerprint,
    };
  }
}

function reject(
  reason: RejectReason,
  message: string,
  serverId?: string,
): Extract<AnnouncementVerdict, { kind: 'reject' }> {
  return { kind: 'reject', reason, message, serverId };
}
