import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The key trusted for a server_id (trust on first use), moved only by a valid rotation. */
@Entity('pins')
export class PinRecord {
  @PrimaryColumn({ name: 'server_id', type: 'text' })
  serverId: string;

  @Column({ type: 'text' })
  fingerprint: string;

  @Column({ name: 'public_key', type: 'text' })
  publicKey: string;

  /** The key the last rotation moved away from (null before any rotation). */
  @Column({ name: 'previous_fingerprint', type: 'text', nullable: true })
  previousFingerprint: string | null;

  @Column({ name: 'previous_public_key', type: 'text', nullable: true })
  previousPublicKey: string | null;

  @Column({ name: 'rotated_at', type: 'timestamptz', nullable: true })
  rotatedAt: Date | null;

  @Column({ name: 'pinned_at', type: 'timestamptz' })
  pinnedAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
