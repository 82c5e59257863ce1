import { newMessageId } from '@pager/protocol';
import { DataSource } from 'typeorm';
import { withAdapterSchema } from '../../../test/adapter-schema';
import { MessageStore } from './message.store';

describe(MessageStore.name, () => {
  let dataSource: DataSource;
  withAdapterSchema((opened) => (dataSource = opened));

  const entry = {
    recipientUserId: 'u1',
    from: 'taylor@mirah.example.com',
    to: 'alice@home.test',
    content: 'hi',
    priority: 1,
  };

  it('stores 20 concurrent receipts of one message once, answering all with the same status', async () => {
    const messageId = newMessageId();
    // Separate stores stand for separate replicas: they share nothing but the database.
    const stores = Array.from({ length: 20 }, () => new MessageStore(dataSource));
    const results = await Promise.all(
      stores.map((s) =>
        s.recordOnce(
          {
            senderServer: 'mirah.example.com',
            messageId,
            digest: 'd'.repeat(64),
            status: 'delivered',
            reason: null,
          },
          entry,
        ),
      ),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(results.every((r) => r.status === 'delivered')).toBe(true);
    const rows: unknown[] = await dataSource.query('SELECT 1 FROM messages WHERE message_id = $1', [
      messageId,
    ]);
    expect(rows).toHaveLength(1);
  });

  it('answers a repeat of a rejected message with the same reason and adds nothing', async () => {
    const messageId = newMessageId();
    const store = new MessageStore(dataSource);
    const decision = {
      senderServer: 'mirah.example.com',
      messageId,
      digest: 'd'.repeat(64),
      status: 'rejected' as const,
      reason: 'unknown_recipient',
    };
    await store.recordOnce(decision, null);
    // Even if the repeat would now be judged differently, the first answer stands.
    // The repeat was signed afresh (another digest): the answer names the stored copy's digest.
    const again = await store.recordOnce(
      { ...decision, digest: 'e'.repeat(64), status: 'delivered', reason: null },
      entry,
    );
    expect(again).toEqual({
      status: 'rejected',
      reason: 'unknown_recipient',
      digest: 'd'.repeat(64),
      created: false,
    });
    expect(
      await dataSource.query('SELECT 1 FROM messages WHERE message_id = $1', [messageId]),
    ).toHaveLength(0);
  });

  it('keeps the same message_id from two sender servers apart', async () => {
    const messageId = newMessageId();
    const store = new MessageStore(dataSource);
    for (const senderServer of ['mirah.example.com', 'other-server.com']) {
      const r = await store.recordOnce(
        { senderServer, messageId, digest: 'd'.repeat(64), status: 'delivered', reason: null },
        entry,
      );
      expect(r.created).toBe(true);
    }
    expect(
      await dataSource.query('SELECT 1 FROM messages WHERE message_id = $1', [messageId]),
    ).toHaveLength(2);
  });
});
