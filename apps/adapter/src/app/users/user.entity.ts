import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

export type AcceptPolicy = 'anyone' | 'contacts';

@Entity('users')
export class UserEntity {
  @PrimaryColumn('text', { name: 'user_id' })
  userId: string;

  @Column('text', { unique: true })
  username: string;

  @Column('text', { name: 'accept_policy', default: 'anyone' })
  acceptPolicy: AcceptPolicy;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
