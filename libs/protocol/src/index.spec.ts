import * as protocol from './index';

// Other projects code against these names through `@pager/protocol`; renaming one is a
// breaking change and should fail here first.
describe('@pager/protocol entry point', () => {
  it.each([
    'canonicalize',
    'signingInput',
    'signObject',
    'signObjectAsync',
    'signBytes',
    'verifyBytes',
    'verifyObjectSignature',
    'verifyRotationSignature',
    'addRotationSignature',
    'messageDigest',
    'parsePublicKey',
    'parsePrivateKey',
    'publicKeyPem',
    'fingerprint',
    'rsaModulusBits',
    'isAcceptableServerKey',
    'generateServerKeyPem',
    'InvalidKeyError',
    'newMessageId',
    'newQueryId',
    'newGossipId',
    'isValidServerId',
    'parseAddress',
    'formatAddress',
    'domainOf',
    'bucketOf',
    'computeBucketHashes',
    'computeDigestHash',
    'differingBuckets',
    'parseProtocolTimestamp',
    'formatProtocolTimestamp',
    'isWithinSkew',
    'isWithinWindow',
    'isSupportedVersion',
    'ProtocolError',
    'validateWire',
    'AnnouncementDto',
    'GossipDto',
    'GossipReplyDto',
    'GossipPushDto',
    'GossipPushReplyDto',
    'QueryDto',
    'QueryReplyDto',
    'MessageDto',
    'AckDto',
    'PeerFileDto',
  ])('exports the function or class %s', (name) => {
    expect(typeof (protocol as Record<string, unknown>)[name]).toBe('function');
  });

  it('exports the constants with their spec values', () => {
    expect(protocol).toMatchObject({
      PROTOCOL_VERSION: '1.0',
      MIN_RSA_BITS: 2048,
      DIGEST_BUCKETS: 64,
      MAX_MESSAGE_BODY_BYTES: 65536,
      MAX_QUERY_BODY_BYTES: 65536,
      MAX_GOSSIP_BODY_BYTES: 4194304,
      MAX_ANNOUNCEMENTS_PER_ENVELOPE: 500,
      MAX_CONTENT_CODE_POINTS: 4096,
      REJECT_REASONS: ['unknown_recipient', 'recipient_not_accepting', 'blocked_by_recipient'],
    });
    for (const re of [
      'MESSAGE_ID_RE',
      'QUERY_ID_RE',
      'GOSSIP_ID_RE',
      'USERNAME_RE',
      'RFC3339_UTC_RE',
      'VERSION_RE',
    ]) {
      expect((protocol as Record<string, unknown>)[re]).toBeInstanceOf(RegExp);
    }
    expect(protocol.ERROR_STATUS.rate_limited).toBe(429);
  });
});
