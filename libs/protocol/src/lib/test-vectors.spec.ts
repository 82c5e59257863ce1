import { KeyObject } from 'node:crypto';
import { readFixtureJson } from '../../test/spec-paths';
import { canonicalize } from './canonical-json';
import { bucketOf, computeBucketHashes, computeDigestHash } from './digest';
import { AckDto } from './dtos/ack.dto';
import { AnnouncementDto } from './dtos/announcement.dto';
import { GossipDto } from './dtos/gossip.dto';
import { MessageDto } from './dtos/message.dto';
import { QueryDto } from './dtos/query.dto';
import { validateWire } from './dtos/validate-wire';
import {
  fingerprint,
  isAcceptableServerKey,
  parsePrivateKey,
  parsePublicKey,
  publicKeyPem,
  rsaModulusBits,
} from './keys';
import {
  messageDigest,
  signObject,
  signObjectAsync,
  signingInput,
  verifyObjectSignature,
  verifyRotationSignature,
} from './signing';

type Json = Record<string, unknown>;
interface Vectors {
  keys: Record<string, { private_key_pkcs8: string; public_key: string; fingerprint: string }>;
  canonical: { input: unknown; canonical: string; signing_input?: boolean }[];
  digest: {
    entries: Record<string, string>;
    bucket_of: Record<string, number>;
    bucket_hashes: string[];
    digest_hash: string;
  };
  valid: Record<
    string,
    {
      object: Json;
      signer: string;
      signing_input?: string;
      rotation_signer?: string;
      acknowledges?: string;
    }
  >;
  invalid: Record<string, { object: Json; signer?: string; why: string }>;
}

const vectors = readFixtureJson<Vectors>('test-vectors.json');
const publicKeyOf = (name: string): KeyObject => parsePublicKey(vectors.keys[name].public_key);
const privateKeyOf = (name: string): KeyObject =>
  parsePrivateKey(vectors.keys[name].private_key_pkcs8);

const DTO_FOR: Record<string, new () => object> = {
  announcement: AnnouncementDto,
  announcement_b: AnnouncementDto,
  announcement_rotation: AnnouncementDto,
  message: MessageDto,
  message_rejected: MessageDto,
  ack_delivered: AckDto,
  ack_rejected: AckDto,
  gossip: GossipDto,
  query: QueryDto,
};

describe('test vectors', () => {
  it('holds the vectors this suite expects', () => {
    expect(vectors.canonical.length).toBeGreaterThanOrEqual(3);
    expect(Object.keys(vectors.keys)).toHaveLength(4);
    expect(Object.keys(vectors.valid).sort()).toEqual(Object.keys(DTO_FOR).sort());
    expect(Object.keys(vectors.invalid)).toHaveLength(3);
  });

  describe('canonical form', () => {
    it.each(vectors.canonical.map((v, i) => [i, v] as const))('reproduces vector %i', (_i, v) => {
      const actual = v.signing_input ? signingInput(v.input as Json) : canonicalize(v.input);
      expect(actual).toBe(v.canonical);
    });
  });

  describe('keys', () => {
    it.each(Object.entries(vectors.keys))('computes the fingerprint of %s', (_name, key) => {
      expect(fingerprint(key.public_key)).toBe(key.fingerprint);
      expect(fingerprint(parsePublicKey(key.public_key))).toBe(key.fingerprint);
      expect(fingerprint(parsePrivateKey(key.private_key_pkcs8))).toBe(key.fingerprint);
    });

    it.each(Object.entries(vectors.keys))(
      're-exports the public key of %s as the same PEM',
      (_n, key) => {
        expect(publicKeyPem(parsePrivateKey(key.private_key_pkcs8))).toBe(key.public_key);
      },
    );
  });

  describe('valid objects', () => {
    const valid = Object.entries(vectors.valid);

    it.each(valid)('%s: signature verifies with the signer key', (_name, v) => {
      expect(verifyObjectSignature(v.object, publicKeyOf(v.signer))).toBe(true);
    });

    it.each(valid.filter(([, v]) => v.signing_input !== undefined))(
      '%s: signing input is exactly the given one',
      (_name, v) => {
        expect(signingInput(v.object)).toBe(v.signing_input);
      },
    );

    it.each(valid)('%s: re-signing with the signer key yields the same signature', (_name, v) => {
      const resigned = signObject(v.object, privateKeyOf(v.signer));
      expect(resigned.signature).toBe(v.object['signature']);
    });

    it.each(valid)('%s: passes its wire DTO', (name, v) => {
      const result = validateWire(DTO_FOR[name], v.object);
      expect(result).toMatchObject({ ok: true });
    });

    it('signs asynchronously to the same signature', async () => {
      const v = vectors.valid['message'];
      const resigned = await signObjectAsync(v.object, privateKeyOf(v.signer));
      expect(resigned.signature).toBe(v.object['signature']);
    });

    it('announcement_rotation: the new key signs it and the pinned (old) key rotation-signs it', () => {
      const v = vectors.valid['announcement_rotation'];
      expect(v.rotation_signer).toBeDefined();
      expect(verifyObjectSignature(v.object, publicKeyOf(v.signer))).toBe(true);
      expect(verifyRotationSignature(v.object, publicKeyOf(v.rotation_signer!))).toBe(true);
      expect(verifyRotationSignature(v.object, publicKeyOf(v.signer))).toBe(false);
      expect(verifyObjectSignature(v.object, publicKeyOf(v.rotation_signer!))).toBe(false);
    });

    it.each(valid.filter(([, v]) => v.acknowledges !== undefined))(
      '%s: message_digest is the digest of the acknowledged message',
      (_name, v) => {
        const message = vectors.valid[v.acknowledges!].object;
        expect(v.object['message_digest']).toBe(messageDigest(message));
      },
    );

    it('announcements are self-signed with the key they publish', () => {
      for (const name of ['announcement', 'announcement_b', 'announcement_rotation']) {
        const a = vectors.valid[name].object;
        expect(fingerprint(a['public_key'] as string)).toBe(
          vectors.keys[vectors.valid[name].signer].fingerprint,
        );
        expect(isAcceptableServerKey(parsePublicKey(a['public_key'] as string))).toBe(true);
      }
    });
  });

  describe('digest', () => {
    const entries = Object.entries(vectors.digest.entries).map(([server_id, timestamp]) => ({
      server_id,
      timestamp,
    }));

    it.each(Object.entries(vectors.digest.bucket_of))(
      'puts %s in bucket %i',
      (serverId, bucket) => {
        expect(bucketOf(serverId)).toBe(bucket);
      },
    );

    it('computes every bucket hash', () => {
      expect(computeBucketHashes(entries)).toEqual(vectors.digest.bucket_hashes);
    });

    it('computes the same bucket hashes whatever the input order', () => {
      expect(computeBucketHashes([...entries].reverse())).toEqual(vectors.digest.bucket_hashes);
    });

    it('computes the digest hash', () => {
      expect(computeDigestHash(vectors.digest.bucket_hashes)).toBe(vectors.digest.digest_hash);
    });

    it('matches the digest carried by the gossip vector', () => {
      const gossip = vectors.valid['gossip'].object;
      expect(gossip['bucket_hashes']).toEqual(vectors.digest.bucket_hashes);
      expect(gossip['digest_hash']).toBe(vectors.digest.digest_hash);
    });
  });

  describe('invalid objects', () => {
    const mirah = () => publicKeyOf('mirah.example.com');

    it('message_tampered_content: the signature no longer verifies', () => {
      const v = vectors.invalid['message_tampered_content'];
      expect(verifyObjectSignature(v.object, publicKeyOf(v.signer!))).toBe(false);
      // Only the content differs from the valid message; its signature is the original one.
      expect(v.object['signature']).toBe(vectors.valid['message'].object['signature']);
    });

    it('message_signed_by_other_key: fails with the named sender key, verifies with the other', () => {
      const v = vectors.invalid['message_signed_by_other_key'];
      expect(verifyObjectSignature(v.object, mirah())).toBe(false);
      expect(verifyObjectSignature(v.object, publicKeyOf('other-server.com'))).toBe(true);
      expect(v.object['sender_fingerprint']).toBe(fingerprint(mirah()));
    });

    it('announcement_weak_key: its own signature verifies but the key is refused', () => {
      const v = vectors.invalid['announcement_weak_key'];
      const key = parsePublicKey(v.object['public_key'] as string);
      expect(verifyObjectSignature(v.object, key)).toBe(true);
      expect(rsaModulusBits(key)).toBe(1024);
      expect(isAcceptableServerKey(key)).toBe(false);
      expect(fingerprint(key)).toBe(vectors.keys['weak-1024'].fingerprint);
    });
  });
});
