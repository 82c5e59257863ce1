import { call, eventually } from '@pager/testing';
import {
  SenderUnderTest,
  startSenderAgainstStrictReceiver,
} from '../../../test/strict-receiver-sender';

jest.setTimeout(60_000);

/**
 * A page accepted while its destination has room is inserted already claimed and sent at
 * once by the accepting replica (signed before the insert, its digest kept by it); with the
 * per-destination cap full it is queued and the outbox poll sends it when a slot frees.
 */
describe('pages claimed as they are accepted (strict receiver, cap of 1)', () => {
  let sut: SenderUnderTest;

  beforeAll(async () => {
    sut = await startSenderAgainstStrictReceiver({
      plans: { slow: ['silent'], lostack: ['lose_ack'] },
      env: { DELIVERY_DESTINATION_MAX_IN_FLIGHT: '1' },
    });
  }, 60_000);

  afterAll(() => sut?.close());

  async function send(user: string): Promise<{ id: string; answeredMs: number }> {
    const sent = await call(sut.base, 'POST', '/api/v1/messages', {
      sender_user_id: 'u-taylor',
      to: `${user}@mirah.example.com`,
      content: `page for ${user}`,
    });
    expect(sent.status).toBe(202);
    return { id: sent.body.message_id as string, answeredMs: Date.now() };
  }

  const settled = (id: string) =>
    eventually(
      async () => {
        const s = (await call(sut.base, 'GET', `/api/v1/messages/${id}`)).body;
        return ['delivered', 'failed', 'rejected'].includes(s.status as string) ? s : undefined;
      },
      20_000,
      `${id} to settle`,
    );

  it('sends the first attempt signed before the page was stored, and its digest names the ack of a retry', async () => {
    const { id, answeredMs } = await send('lostack');
    expect(await settled(id)).toMatchObject({ status: 'delivered', attempts: 2 });
    const [first, second] = sut.receiver.requestsFor(id);
    // Signed inside POST /api/v1/messages, before its answer (not after an outbox poll).
    expect(Date.parse(first.message.timestamp as string)).toBeLessThanOrEqual(answeredMs);
    // The retry's ack names attempt 1's digest, kept by the statement that stored the page.
    expect(second.n).toBe(2);
    expect(sut.receiver.copiesOf(id)).toHaveLength(1);
  });

  it('queues a page while the destination cap is full; the poll sends it once the slot frees', async () => {
    const slow = await send('slow'); // claimed at once; the receiver never answers (ack timeout 1 s)
    await eventually(
      async () => sut.receiver.requestsFor(slow.id).length > 0 || undefined,
      5_000,
      'the slow page to leave',
    );
    const next = await send('next');
    const nextState = await settled(next.id);
    expect(nextState).toMatchObject({ status: 'delivered', attempts: 1 });
    const slowFirst = sut.receiver.requestsFor(slow.id)[0];
    const nextFirst = sut.receiver.requestsFor(next.id)[0];
    // Not before the slow page's attempt ended (its 1 s ack timeout): the cap of 1 held.
    expect(nextFirst.atMs - slowFirst.atMs).toBeGreaterThanOrEqual(900);
    expect(await settled(slow.id)).toMatchObject({ status: 'delivered' });
  });
});
