// The adapter reads and writes its tables (users, user_blocks, contacts, messages,
// inbound_receipts) with SQL, each through its one owner (UsersService, ContactsService,
// MessagesService and the outbox, InboundReceipts); the migrations are their only
// description. Add an entity here only together with a repository that queries it.
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const ADAPTER_ENTITIES: Function[] = [];
