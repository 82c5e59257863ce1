import { verifyWebhookSignature, webhookSignature } from './webhook-signature';

describe(webhookSignature.name, () => {
  it('is the HMAC-SHA256 of "<timestamp>.<body>" in lowercase hex', () => {
    // Computed independently: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac key
    expect(webhookSignature('key', 1700000000, '{"a":1}')).toBe(
      'sha256=a438e398bfafc57e4396bb7fc2304422f0f768e965d073ca313cb52e22e6ad03',
    );
    expect(webhookSignature('key', 1700000001, '{"a":1}')).not.toBe(
      webhookSignature('key', 1700000000, '{"a":1}'),
    );
  });

  it('verifies its own signature and refuses another body, time or key', () => {
    const sig = webhookSignature('s3cret', 42, 'body');
    expect(verifyWebhookSignature('s3cret', 42, 'body', sig)).toBe(true);
    expect(verifyWebhookSignature('s3cret', 42, 'body!', sig)).toBe(false);
    expect(verifyWebhookSignature('s3cret', 43, 'body', sig)).toBe(false);
    expect(verifyWebhookSignature('other', 42, 'body', sig)).toBe(false);
    expect(verifyWebhookSignature('s3cret', 42, 'body', 'sha256=00')).toBe(false);
  });
});
