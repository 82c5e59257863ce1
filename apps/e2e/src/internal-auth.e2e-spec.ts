import { TestServer, call, eventually } from '@pager/testing';

/**
 * A server whose internal API needs a bearer token (INTERNAL_API_TOKEN, as in Kubernetes):
 * callers without it get 401, and its adapter uses the token to reach its own daemon, so
 * federated pages still flow.
 */
const TOKEN = 'e2e-internal-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

describe('internal API behind a token', () => {
  const guarded = new TestServer({
    serverId: 'guarded',
    host: '127.0.0.61',
    env: { INTERNAL_API_TOKEN: TOKEN },
  });
  const open = new TestServer({
    serverId: 'open',
    host: '127.0.0.62',
    env: { BOOTSTRAP_SERVERS: 'http://127.0.0.61:4100/discovery' },
  });

  beforeAll(async () => {
    await guarded.start();
    await open.start();
  });

  afterAll(async () => {
    await guarded.stop();
    await open.stop();
  });

  it('answers 401 unauthorized without the token and serves with it', async () => {
    for (const base of [guarded.discovery.baseUrl, guarded.adapter!.baseUrl]) {
      const refused = await call(
        base,
        'GET',
        base === guarded.discovery.baseUrl ? '/api/v1/peers' : '/api/v1/users/nobody',
      );
      expect(refused.status).toBe(401);
      expect(refused.body.error).toBe('unauthorized');
    }
    expect(
      (await call(guarded.discovery.baseUrl, 'GET', '/api/v1/peers', undefined, auth)).status,
    ).toBe(200);
    expect((await call(guarded.discovery.baseUrl, 'GET', '/health/ready')).status).toBe(200);
  });

  it('delivers a federated page: the adapter authenticates to its daemon', async () => {
    expect(
      (
        await call(
          guarded.adapter!.baseUrl,
          'POST',
          '/api/v1/users',
          { user_id: 'g1', username: 'gina' },
          auth,
        )
      ).status,
    ).toBe(201);
    expect(
      (
        await call(open.adapter!.baseUrl, 'POST', '/api/v1/users', {
          user_id: 'o1',
          username: 'olga',
        })
      ).status,
    ).toBe(201);
    await eventually(
      async () =>
        (await call(guarded.discovery.baseUrl, 'POST', '/api/v1/route/open', undefined, auth))
          .status === 200,
      20_000,
      'guarded to resolve open',
    );
    const sent = await call(
      guarded.adapter!.baseUrl,
      'POST',
      '/api/v1/messages',
      { sender_user_id: 'g1', to: 'olga@open', content: 'through the token' },
      auth,
    );
    expect(sent.status).toBe(202);
    const state = await eventually(
      async () => {
        const current = (
          await call(
            guarded.adapter!.baseUrl,
            'GET',
            `/api/v1/messages/${sent.body.message_id}`,
            undefined,
            auth,
          )
        ).body;
        return current.status === 'delivered' ? current : undefined;
      },
      20_000,
      'the page to be delivered',
    );
    expect(state.attempts).toBe(1);
  });
});
