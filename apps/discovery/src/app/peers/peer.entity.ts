import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from '../common/column-transformers';

/** A verified announcement, stored exactly as received (the own one included). */
@Entity('peers')
export class PeerRecord {
  @PrimaryColumn({ name: 'server_id', type: 'text' })
  serverId: string;

  @Column({ type: 'jsonb' })
  announcement: Record<string, unknown>;

  /** As signed: the digest hashes this string. */
  @Column({ type: 'text' })
  timestamp: string;

  @Column({ name: 'timestamp_ms', type: 'bigint', transformer: bigintAsNumber })
  timestampMs: number;

  @Column({ type: 'text' })
  fingerprint: string;

  @Column({ name: 'received_at', type: 'timestamptz' })
  receivedAt: Date;

  @Column({ name: 'last_seen', type: 'timestamptz' })
  lastSeen: Date;
}
