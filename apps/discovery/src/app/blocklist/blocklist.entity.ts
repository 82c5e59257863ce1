import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('blocklist')
export class BlockRecord {
  @PrimaryColumn({ name: 'server_id', type: 'text' })
  serverId: string;

  @Column({ type: 'text' })
  reason: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
