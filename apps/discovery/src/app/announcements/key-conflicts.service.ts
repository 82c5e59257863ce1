import { Inject, Injectable } from '@nestjs/common';
import { JsonLogger } from '@pager/server-kit';
import { PinStore } from '../pins/pin-store.service';
import { ReputationService } from '../reputation/reputation.service';

export interface KeyConflictReport {
  serverId: string;
  /** The key refused. */
  fingerprint: string;
  /** The pinned key, or the other key the paths brought. */
  otherFingerprint: string;
  /** `direct` or the relaying server id. */
  source: string;
  reason: 'pinned_key_differs' | 'forged_rotation';
}

/**
 * A key conflict found where a sender authenticates (an envelope whose `from` brings another
 * key than its pin, answered `401 key_mismatch`; docs/protocol.md §2): counted in the
 * server's reputation together with its pin history entry (both rate-limited, see PinStore) and logged
 * for the operator. The intake records its own conflicts through PinStore.settle.
 */
@Injectable()
export class KeyConflicts {
  constructor(
    @Inject(PinStore) private readonly pins: PinStore,
    @Inject(ReputationService) private readonly reputation: ReputationService,
    @Inject(JsonLogger) private readonly logger: JsonLogger,
  ) {}

  async record(report: KeyConflictReport): Promise<void> {
    const logged = await this.pins.recordConflict(
      report.serverId,
      report.fingerprint,
      report.otherFingerprint,
      report.source,
      report.reason,
    );
    // Counted only with its history entry: the sender is not authenticated as the server it
    // names, so copies re-sent by a forger must not sink that server's score (PinStore's limit).
    if (logged) await this.reputation.recordKeyConflict(report.serverId);
    this.logger.event(
      'discovery.key_conflict',
      {
        server_id: report.serverId,
        fingerprint: report.fingerprint,
        pinned: report.otherFingerprint,
        source: report.source,
        reason: report.reason,
        history: logged,
      },
      'warn',
    );
  }
}
