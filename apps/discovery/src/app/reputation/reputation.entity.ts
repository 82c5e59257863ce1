import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

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

@Entity('reputation_reports')
export class ReputationReportRecord {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ name: 'server_id', type: 'text' })
  serverId: string;

  @Column({ type: 'text' })
  reason: string;

  @Column({ type: 'text', nullable: true })
  details: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
