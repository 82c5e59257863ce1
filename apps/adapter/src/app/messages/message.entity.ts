import { Column, Entity, PrimaryGeneratedColumn, Unique } from 'typeorm';

export type MessageStatus = 'queued' | 'sending' | 'delivered' | 'rejected' | 'failed';

/**
 * One page. `senderUserId` puts it in a local sender's sent box, `recipientUserId` in a local
 * recipient's inbox; the outbox columns are used by federated pages only.
 */
@Entity('messages')
@Unique('messages_origin_message_id', ['originServer', 'messageId'])
export class MessageEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column('text', { name: 'message_id' })
  messageId: string;

  @Column('text', { name: 'origin_server' })
  originServer: string;

  @Column('text', { name: 'sender_user_id', nullable: true })
  senderUserId: string | null;

  @Column('text', { name: 'recipient_user_id', nullable: true })
  recipientUserId: string | null;

  @Column('text', { name: 'from_address' })
  fromAddress: string;

  @Column('text', { name: 'to_address' })
  toAddress: string;

  /** JSON string literal of the content, see stored-content.ts. */
  @Column('text', { name: 'content_json' })
  contentJson: string;

  @Column('smallint')
  priority: number;

  @Column('text')
  status: MessageStatus;

  @Column('text', { nullable: true })
  destination: string | null;

  @Column('integer', { default: 0 })
  attempts: number;

  @Column('timestamptz', { name: 'next_attempt_at', nullable: true })
  nextAttemptAt: Date | null;

  @Column('uuid', { name: 'claim_token', nullable: true })
  claimToken: string | null;

  @Column('text', { name: 'last_error', nullable: true })
  lastError: string | null;

  /** Digest of every attempt signed so far (PROTOCOL.md section 5: an ack may name any). */
  @Column('text', { name: 'attempt_digests', array: true, default: () => "'{}'" })
  attemptDigests: string[];

  @Column('text', { name: 'signed_payload', nullable: true })
  signedPayload: string | null;

  @Column('timestamptz', { name: 'created_at' })
  createdAt: Date;

  @Column('timestamptz', { name: 'delivered_at', nullable: true })
  deliveredAt: Date | null;
}
