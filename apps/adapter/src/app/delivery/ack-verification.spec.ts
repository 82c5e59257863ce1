import { parsePrivateKey, parsePublicKey, signObject } from '@pager/protocol';
import { testVectors } from '@pager/testing';
import { verifyAck } from './ack-verification';

describe(verifyAck.name, () => {
  const v = testVectors();
  const message = v.valid.message.object;
  const ack = v.valid.ack_delivered.object;
  const otherKey = parsePublicKey(v.keys['other-server.com'].public_key);
  const mirahKey = parsePublicKey(v.keys['mirah.example.com'].public_key);

  it('accepts the vector ack of the vector message with other-server.com key', () => {
    expect(verifyAck(ack, message, otherKey, 'other-server.com')).toEqual({ ok: true, ack });
  });

  it('refuses an ack whose digest is not that of what was sent', () => {
    expect(
      verifyAck(ack, { ...message, content: 'something else' }, otherKey, 'other-server.com'),
    ).toMatchObject({ ok: false });
  });

  it('refuses an ack re-signed with a digest that does not match', () => {
    const forged = signObject(
      { ...ack, message_digest: 'a'.repeat(64) },
      parsePrivateKey(v.keys['other-server.com'].private_key_pkcs8),
    );
    expect(verifyAck(forged, message, otherKey, 'other-server.com')).toEqual({
      ok: false,
      error: 'ack_digest_mismatch',
    });
  });

  it("accepts an ack naming an earlier attempt's digest, and no other", () => {
    const retry = { ...message, timestamp: '2099-01-01T00:00:00Z' };
    const firstDigest = ack.message_digest as string;
    expect(verifyAck(ack, retry, otherKey, 'other-server.com')).toEqual({
      ok: false,
      error: 'ack_digest_mismatch',
    });
    expect(
      verifyAck(ack, retry, otherKey, 'other-server.com', ['b'.repeat(64), firstDigest]),
    ).toEqual({ ok: true, ack });
    expect(verifyAck(ack, retry, otherKey, 'other-server.com', ['b'.repeat(64)])).toEqual({
      ok: false,
      error: 'ack_digest_mismatch',
    });
  });

  it('refuses an ack checked with another key than the pinned one', () => {
    expect(verifyAck(ack, message, mirahKey, 'other-server.com')).toEqual({
      ok: false,
      error: 'ack_signature_invalid',
    });
  });

  it('refuses an ack from another server than the destination', () => {
    expect(verifyAck(ack, message, otherKey, 'third.example')).toEqual({
      ok: false,
      error: 'ack_wrong_server',
    });
  });

  it('refuses an ack for another message_id', () => {
    expect(
      verifyAck(ack, { ...message, message_id: 'MSG-00000000' }, otherKey, 'other-server.com'),
    ).toEqual({ ok: false, error: 'ack_message_id_mismatch' });
  });

  it('refuses a malformed ack', () => {
    expect(
      verifyAck({ ...ack, status: 'maybe' }, message, otherKey, 'other-server.com'),
    ).toMatchObject({ ok: false });
    expect(verifyAck('not an object', message, otherKey, 'other-server.com')).toMatchObject({
      ok: false,
    });
  });

  it('accepts the vector rejected ack of its message', () => {
    const result = verifyAck(
      v.valid.ack_rejected.object,
      v.valid.message_rejected.object,
      otherKey,
      'other-server.com',
    );
    expect(result).toMatchObject({
      ok: true,
      ack: { status: 'rejected', reason: 'unknown_recipient' },
    });
  });
});
