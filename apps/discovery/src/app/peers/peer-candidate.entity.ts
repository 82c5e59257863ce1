import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A discovery endpoint to contact (bootstrap server, peer file, import); confers no trust. */
@Entity('peer_candidates')
export class PeerCandidateRecord {
  @PrimaryColumn({ type: 'text' })
  url: string;

  /** Claimed by a peer file; unknown for BOOTSTRAP_SERVERS entries. */
  @Column({ name: 'server_id', type: 'text', nullable: true })
  serverId: string | null;

  @Column({ type: 'text' })
  source: string;

  @Column({ name: 'added_at', type: 'timestamptz' })
  addedAt: Date;

  @Column({ name: 'last_attempt_at', type: 'timestamptz', nullable: true })
  lastAttemptAt: Date | null;

  @Column({ name: 'last_success_at', type: 'timestamptz', nullable: true })
  lastSuccessAt: Date | null;

  @Column({ type: 'integer' })
  failures: number;

  /** Not contacted again before this (backoff after failures); null: due now. */
  @Column({ name: 'next_attempt_at', type: 'timestamptz', nullable: true })
  nextAttemptAt: Date | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;
}
