import { ExecutionContext } from '@nestjs/common';
import { ProtocolError } from '@pager/protocol';
import { InternalApiGuard } from './internal-api.guard';

function contextFor(url: string, remoteAddress: string, authorization?: string): ExecutionContext {
  const request = {
    url,
    socket: { remoteAddress },
    headers: authorization ? { authorization } : {},
  };
  return { switchToHttp: () => ({ getRequest: () => request }) } as unknown as ExecutionContext;
}

function outcome(guard: InternalApiGuard, context: ExecutionContext): string {
  try {
    return guard.canActivate(context) ? 'allowed' : 'denied';
  } catch (err) {
    return err instanceof ProtocolError ? `${err.status} ${err.code}` : 'other';
  }
}

describe(InternalApiGuard.name, () => {
  describe('without a token', () => {
    const sut = new InternalApiGuard(undefined);

    it('serves loopback clients', () => {
      expect(outcome(sut, contextFor('/api/v1/peers', '127.0.0.1'))).toBe('allowed');
      expect(outcome(sut, contextFor('/api/v1/peers', '::ffff:127.0.0.5'))).toBe('allowed');
    });

    it('refuses every other client with 401 unauthorized', () => {
      expect(outcome(sut, contextFor('/api/v1/peers', '10.0.0.7'))).toBe('401 unauthorized');
      expect(outcome(sut, contextFor('/api/v1', '192.0.2.1'))).toBe('401 unauthorized');
    });

    it('applies the same rule to the operator page /status', () => {
      expect(outcome(sut, contextFor('/status', '127.0.0.1'))).toBe('allowed');
      expect(outcome(sut, contextFor('/status?x=1', '10.0.0.7'))).toBe('401 unauthorized');
      expect(outcome(sut, contextFor('/status/actions', '10.0.0.7'))).toBe('401 unauthorized');
      expect(outcome(sut, contextFor('/statusx', '10.0.0.7'))).toBe('allowed');
    });

    it('leaves the public protocol and health routes to everyone', () => {
      expect(outcome(sut, contextFor('/discovery/gossip', '203.0.113.9'))).toBe('allowed');
      expect(outcome(sut, contextFor('/health/ready', '203.0.113.9'))).toBe('allowed');
      expect(outcome(sut, contextFor('/api/v1x', '203.0.113.9'))).toBe('allowed');
    });
  });

  describe('with a token', () => {
    const sut = new InternalApiGuard('a-long-enough-secret-token');

    it('needs the bearer token, also from loopback', () => {
      expect(outcome(sut, contextFor('/api/v1/peers', '127.0.0.1'))).toBe('401 unauthorized');
      expect(outcome(sut, contextFor('/api/v1/peers', '127.0.0.1', 'Bearer wrong'))).toBe(
        '401 unauthorized',
      );
      expect(
        outcome(
          sut,
          contextFor('/api/v1/peers?x=1', '10.0.0.7', 'Bearer a-long-enough-secret-token'),
        ),
      ).toBe('allowed');
    });

    it('refuses other authorization schemes', () => {
      expect(
        outcome(sut, contextFor('/api/v1/peers', '10.0.0.7', 'Basic a-long-enough-secret-token')),
      ).toBe('401 unauthorized');
    });
  });
});
