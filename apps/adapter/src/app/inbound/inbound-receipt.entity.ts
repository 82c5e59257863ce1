import { Column, Entity, PrimaryColumn } from 'typeorm';

/** What we answered to (sender server, message_id): repeats get the same status again. */
@Entity('inbound_receipts')
export class InboundReceiptEntity {
  @PrimaryColumn('text', { name: 'sender_server' })
  senderServer: string;

  @PrimaryColumn('text', { name: 'message_id' })
  messageId: string;

  @Column('text', { name: 'message_digest' })
  messageDigest: string;

  @Column('text')
  status: 'delivered' | 'rejected';

  @Column('text', { nullable: true })
  reason: string | null;

  @Column('timestamptz', { name: 'received_at' })
  receivedAt: Date;
}
