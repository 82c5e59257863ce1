import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Counters behind a server's score; rate-limit violations live in `rate_limits`. */
@Entity('reputation')
export class ReputationRecord {
  @PrimaryColumn({ name: 'server_id', type: 'text' })
  serverId: string;

  @Column({ type: 'integer' })
  reports: number;

  @Column({ name: 'key_conflicts', type: 'integer' })
  keyConflicts: number;

  @Column({ name: 'invalid_announcements', type: 'integer' })
  invalidAnnouncements: number;

  @Column({ name: 'first_seen', type: 'timestamptz' })
  firstSeen: Date;

  @Column({ name: 'last_seen', type: 'timestamptz' })
  lastSeen: Date;
}
