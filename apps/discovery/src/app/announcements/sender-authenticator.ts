import { Inject, Injectable } from '@nestjs/common';
import {
  ProtocolError,
  fingerprint,
  isAcceptableServerKey,
  isSupportedVersion,
  isValidServerId,
  isWithinSkew,
  parsePublicKey,
  verifyObjectSignature,
  verifyRotationSignature,
} from '@pager/protocol';
import { RateLimitStore } from '@pager/server-kit';
import type { KeyObject } from 'node:crypto';
import { BlocklistService } from '../blocklist/blocklist.service';
import { DISCOVERY_CONFIG, DiscoveryConfig } from '../config/discovery-config';
import { PeerStore } from '../peers/peer-store.service';
import { PinStore } from '../pins/pin-store.service';
import { Traffic, rateLimitKey } from '../common/rate-limit-keys';
import { KeyConflicts } from './key-conflicts.service';

export interface SignedEnvelope {
  /** The envelope as received (parsed JSON): the signature covers every member. */
  raw: Record<string, unknown>;
  version: string;
  from: string;
  timestamp: string;
  /** Announcements the envelope carries; the sender's own one, if there, supplies its key. */
  announcements?: readonly unknown[];
}

export interface AuthenticateOptions {
  /** Counts one unit of this traffic against the verified sender; omitted: no limit. */
  traffic?: Traffic;
  /** false for replies to our own requests (we chose to talk to that server). */
  checkBlocklist?: boolean;
}

type Settings = Pick<
  DiscoveryConfig,
  'maxClockSkewMs' | 'rateLimitGossipPerHour' | 'rateLimitQueriesPerHour'
>;

/**
 * Establishes who sent a gossip envelope or query, in the order of docs/protocol.md "Order of
 * checks" (size, JSON, version and schema come first and are the caller's; the version is
 * checked again here, harmlessly): blocklist, key known, key matches the pin, signature, rate
 * limit on the verified sender, replay window.
 */
@Injectable()
export class SenderAuthenticator {
  constructor(
    @Inject(DISCOVERY_CONFIG) private readonly config: Settings,
    @Inject(BlocklistService) private readonly blocklist: Pick<BlocklistService, 'isBlocked'>,
    @Inject(PinStore) private readonly pins: Pick<PinStore, 'get'>,
    @Inject(PeerStore) private readonly peers: Pick<PeerStore, 'get'>,
    @Inject(RateLimitStore) private readonly rateLimits: Pick<RateLimitStore, 'consume'>,
    @Inject(KeyConflicts) private readonly conflicts: Pick<KeyConflicts, 'record'>,
  ) {}

  async authenticate(
    envelope: SignedEnvelope,
    options: AuthenticateOptions = {},
    nowMs: number = Date.now(),
  ): Promise<void> {
    if (!isValidServerId(envelope.from)) {
      throw new ProtocolError('validation_failed', 'from: must be a lowercase DNS name');
    }
    if (!isSupportedVersion(envelope.version)) {
      throw new ProtocolError(
        'unsupported_version',
        `version ${envelope.version} is not supported`,
      );
    }
    if (options.checkBlocklist !== false && (await this.blocklist.isBlocked(envelope.from))) {
      throw new ProtocolError('blocked', `${envelope.from} is blocked`);
    }
    const key = await this.senderKey(envelope);
    if (!verifyObjectSignature(envelope.raw, key)) {
      throw new ProtocolError(
        'signature_invalid',
        `signature does not verify with the key of ${envelope.from}`,
      );
    }
    if (options.traffic !== undefined) {
      const limit =
        options.traffic === 'gossip'
          ? this.config.rateLimitGossipPerHour
          : this.config.rateLimitQueriesPerHour;
      const decision = await this.rateLimits.consume(
        rateLimitKey(envelope.from, options.traffic),
        limit,
        nowMs,
      );
      if (!decision.allowed) {
        throw new ProtocolError(
          'rate_limited',
          `${options.traffic} rate limit of ${limit} per hour exceeded`,
          decision.retryAfterSeconds,
        );
      }
    }
    if (!isWithinSkew(envelope.timestamp, nowMs, this.config.maxClockSkewMs)) {
      throw new ProtocolError('clock_skew', 'timestamp is outside the replay window');
    }
  }

  /**
   * The sender's key: the pinned one; a key in the sender's own enclosed announcement that
   * differs from the pin only with a valid rotation signature (else key_mismatch); with no
   * pin, the enclosed announcement's key or the stored announcement's. A key_mismatch whose
   * enclosed announcement and envelope are both signed by the new key is recorded as a key
   * conflict (KeyConflicts) before it is thrown.
   */
  private async senderKey(envelope: SignedEnvelope): Promise<KeyObject> {
    const enclosed = (envelope.announcements ?? []).find(
      (a): a is Record<string, unknown> =>
        typeof a === 'object' &&
        a !== null &&
        (a as Record<string, unknown>)['server_id'] === envelope.from,
    );
    const enclosedKey = enclosed === undefined ? null : acceptableKey(enclosed['public_key']);
    const pin = await this.pins.get(envelope.from);
    if (pin !== null) {
      // The enclosed key is the pinned one (same SPKI fingerprint): use it as parsed, without
      // parsing the pin's PEM too. By its PEM, the fingerprint is computed once per key
      // (parsePublicKey's cache), not re-exported and re-hashed for every envelope.
      if (
        enclosedKey !== null &&
        fingerprint(enclosed?.['public_key'] as string) === pin.fingerprint
      ) {
        return enclosedKey;
      }
      const pinnedKey = parsePublicKey(pin.publicKey);
      if (enclosed === undefined || enclosedKey === null) return pinnedKey;
      const selfSigned = verifyObjectSignature(enclosed, enclosedKey);
      if (selfSigned && verifyRotationSignature(enclosed, pinnedKey)) {
        return enclosedKey;
      }
      // A coherent claim (announcement and envelope both signed by the new key) is a key
      // conflict of the sender's: counted, and shown in the pin history (§14).
      if (selfSigned && verifyObjectSignature(envelope.raw, enclosedKey)) {
        await this.conflicts.record({
          serverId: envelope.from,
          fingerprint: fingerprint(enclosedKey),
          otherFingerprint: pin.fingerprint,
          source: 'direct',
          reason:
            enclosed['rotation_signature'] === undefined ? 'pinned_key_differs' : 'forged_rotation',
        });
      }
      throw new ProtocolError(
        'key_mismatch',
        `the key of ${envelope.from} differs from the pinned one`,
      );
    }
    if (enclosedKey !== null) return enclosedKey;
    const stored = await this.peers.get(envelope.from);
    const storedKey = stored === null ? null : acceptableKey(stored.announcement['public_key']);
    if (storedKey !== null) return storedKey;
    throw new ProtocolError('unknown_server', `no key is known for ${envelope.from}`);
  }
}

function acceptableKey(pem: unknown): KeyObject | null {
  if (typeof pem !== 'string') return null;
  try {
    const key = parsePublicKey(pem);
    return isAcceptableServerKey(key) ? key : null;
  } catch {
    return null;
  }
}
