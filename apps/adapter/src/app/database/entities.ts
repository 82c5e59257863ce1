import { ContactEntity } from '../contacts/contact.entity';
import { InboundReceiptEntity } from '../inbound/inbound-receipt.entity';
import { MessageEntity } from '../messages/message.entity';
import { UserBlockEntity } from '../users/user-block.entity';
import { UserEntity } from '../users/user.entity';

// Every TypeORM entity of the adapter schema.
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const ADAPTER_ENTITIES: Function[] = [
  UserEntity,
  UserBlockEntity,
  ContactEntity,
  MessageEntity,
  InboundReceiptEntity,
];
