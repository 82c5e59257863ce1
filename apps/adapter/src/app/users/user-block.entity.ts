import { CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** A sender address (lowercase, full `user@server`) that a user refuses pages from. */
@Entity('user_blocks')
export class UserBlockEntity {
  @PrimaryColumn('text', { name: 'user_id' })
  userId: string;

  @PrimaryColumn('text')
  address: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
