import { Column, Entity, PrimaryColumn } from 'typeorm';

/** An exchange a peer started with us: its `gossip_push` must follow within 60 s. */
@Entity('gossip_exchanges')
export class GossipExchangeRecord {
  @PrimaryColumn({ name: 'from_server', type: 'text' })
  fromServer: string;

  @PrimaryColumn({ name: 'gossip_id', type: 'text' })
  gossipId: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ type: 'boolean' })
  pushed: boolean;
}
