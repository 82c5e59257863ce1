import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Counters behind a server's score. Rate-limit violations are counted twice over: those
 * reported to us (`rate_limit_violations`, reports with the reason `rate_limit_violation`)
 * and those of this daemon's own limits (in `rate_limits`); the view adds them up.
 */
@Entity('reputation')
export class ReputationRecord {
  @PrimaryColumn({ name: 'server_id', type: 'text' })
  serverId: string;

  @Column({ type: 'integer' })
  reports: number;

  /** Reports with the reason `rate_limit_violation` (kept out of `reports`). */
  @Column({ name: 'rate_limit_violations', type: 'integer' })
  rateLimitViolations: number;

  @Column({ name: 'key_conflicts', type: 'integer' })
  keyConflicts: number;

  @Column({ name: 'invalid_announcements', type: 'integer' })
  invalidAnnouncements: number;

  @Column({ name: 'first_seen', type: 'timestamptz' })
  firstSeen: Date;

  @Column({ name: 'last_seen', type: 'timestamptz' })
  lastSeen: Date;
}
