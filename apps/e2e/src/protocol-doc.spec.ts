import {
  AckDto,
  AnnouncementDto,
  ERROR_STATUS,
  GossipDto,
  GossipPushDto,
  GossipPushReplyDto,
  GossipReplyDto,
  MessageDto,
  PeerFileDto,
  QueryDto,
  QueryReplyDto,
  REJECT_REASONS,
  domainOf,
  fingerprint,
  isAcceptableServerKey,
  messageDigest,
  parsePublicKey,
  validateWire,
  verifyObjectSignature,
  verifyRotationSignature,
} from '@pager/protocol';
import { withProtocolExamples } from '@pager/testing';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

/**
 * docs/protocol.md is the protocol another team builds from: its examples must be real
 * objects that the project's own code signs, verifies and validates, and every error code
 * the services can answer must be documented there or in docs/api.md.
 */

const DOCS = path.resolve(__dirname, '../../../docs');
const protocolMd = readFileSync(path.join(DOCS, 'protocol.md'), 'utf8');
const apiMd = readFileSync(path.join(DOCS, 'api.md'), 'utf8');

type Json = Record<string, unknown>;

/** Every fenced ```json block of a Markdown text, parsed (throws on one that is not JSON). */
function jsonBlocks(markdown: string): unknown[] {
  return [...markdown.matchAll(/```json\n([\s\S]*?)\n```/g)].map((m, i) => {
    try {
      return JSON.parse(m[1]) as unknown;
    } catch (err) {
      throw new Error(`json block ${i + 1} is not JSON: ${(err as Error).message}`);
    }
  });
}

/** Every object carrying a `signature` member, nested ones included (depth first). */
function signedObjects(value: unknown, out: Json[] = []): Json[] {
  if (Array.isArray(value)) value.forEach((item) => signedObjects(item, out));
  else if (typeof value === 'object' && value !== null) {
    const obj = value as Json;
    if (typeof obj['signature'] === 'string') out.push(obj);
    Object.values(obj).forEach((member) => signedObjects(member, out));
  }
  return out;
}

const isAnnouncement = (o: Json) => 'server_id' in o && 'public_key' in o;

/** The server whose key must have made `o`'s signature. */
function signerOf(o: Json): string {
  if (isAnnouncement(o)) return o['server_id'] as string;
  if (o['ack_type'] === 'message_received') return o['recipient_server'] as string;
  if ('message_id' in o) return domainOf(o['from'] as string) ?? '(bad from)';
  return o['from'] as string;
}

/** The DTO an example must satisfy. */
function dtoOf(o: Json): (new () => object) | undefined {
  if (isAnnouncement(o)) return AnnouncementDto;
  if (o['ack_type'] === 'message_received') return AckDto;
  if (o['message_type'] !== undefined) return MessageDto;
  if ('peers' in o) return PeerFileDto;
  if ('query_id' in o && 'found' in o) return QueryReplyDto;
  return (
    {
      gossip: GossipDto,
      gossip_reply: GossipReplyDto,
      gossip_push: GossipPushDto,
      gossip_push_reply: GossipPushReplyDto,
      query: QueryDto,
    } as Record<string, new () => object>
  )[o['type'] as string];
}

/** Verifies every signed object of `blocks` with the keys the examples announce; the faults. */
function signatureFaults(blocks: unknown[]): string[] {
  const signed = blocks.flatMap((block) => signedObjects(block));
  const keys = new Map<string, Set<string>>();
  for (const o of signed.filter(isAnnouncement)) {
    const id = o['server_id'] as string;
    keys.set(id, (keys.get(id) ?? new Set()).add(o['public_key'] as string));
  }
  const faults: string[] = [];
  for (const o of signed) {
    const signer = signerOf(o);
    const what = `${signer}'s ${String(o['type'] ?? o['ack_type'] ?? (isAnnouncement(o) ? 'announcement' : 'message'))}`;
    const candidates = isAnnouncement(o)
      ? [o['public_key'] as string]
      : [...(keys.get(signer) ?? [])];
    const key = candidates.find((pem) => verifyObjectSignature(o, parsePublicKey(pem)));
    if (key === undefined) {
      faults.push(`${what}: signature does not verify with a key of ${signer}`);
      continue;
    }
    if (!isAcceptableServerKey(parsePublicKey(key))) faults.push(`${what}: key not acceptable`);
    if ('rotation_signature' in o) {
      const previous = [...(keys.get(signer) ?? [])].filter((pem) => pem !== key);
      if (!previous.some((pem) => verifyRotationSignature(o, parsePublicKey(pem)))) {
        faults.push(`${what}: rotation_signature does not verify with an earlier key`);
      }
    }
    if ('sender_fingerprint' in o && o['sender_fingerprint'] !== fingerprint(key)) {
      faults.push(`${what}: sender_fingerprint is not the signing key's`);
    }
    if (o['ack_type'] === 'message_received') {
      const attempts = signed.filter(
        (m) => m['message_type'] !== undefined && m['message_id'] === o['message_id'],
      );
      if (!attempts.some((m) => messageDigest(m) === o['message_digest'])) {
        faults.push(`${what}: message_digest names no example attempt of ${o['message_id']}`);
      }
    }
  }
  return faults;
}

describe('docs/protocol.md examples', () => {
  const blocks = jsonBlocks(protocolMd);
  const signed = blocks.flatMap((block) => signedObjects(block));

  it('holds signed examples of every kind of signed object', () => {
    const kinds = new Set(
      signed.map((o) => (isAnnouncement(o) ? 'announcement' : (dtoOf(o)?.name ?? 'unknown'))),
    );
    expect([...kinds].sort()).toEqual(
      [
        'AckDto',
        'GossipDto',
        'GossipPushDto',
        'GossipPushReplyDto',
        'GossipReplyDto',
        'MessageDto',
        'QueryDto',
        'announcement',
      ].sort(),
    );
  });

  it('are exactly what npm run docs:examples writes (signed by the project code with the test-vector keys)', () => {
    expect(withProtocolExamples(protocolMd)).toBe(protocolMd);
  });

  it('verify with the project code: signatures, rotation signature, fingerprints, ack digests', () => {
    expect(signed.length).toBeGreaterThan(0);
    expect(signatureFaults(blocks)).toEqual([]);
  });

  it('fails on a tampered example (the check can fail)', () => {
    const tampered = structuredClone(blocks) as Json[];
    const message = tampered.find((b) => b['message_type'] === 'pager') as Json;
    message['content'] = 'tampered';
    expect(signatureFaults(tampered).length).toBeGreaterThan(0);
  });

  it('each example object passes the schema of its kind', () => {
    const faults = blocks
      .filter(
        (b): b is Json => typeof b === 'object' && b !== null && dtoOf(b as Json) !== undefined,
      )
      .flatMap((b) => {
        const result = validateWire(dtoOf(b) as new () => object, b);
        return result.ok ? [] : [`${JSON.stringify(b).slice(0, 60)}: ${result.errors.join('; ')}`];
      });
    expect(faults).toEqual([]);
  });
});

describe('error codes', () => {
  const documented = (code: string) =>
    protocolMd.includes(`\`${code}\``) || apiMd.includes(`\`${code}\``);

  it('every error code the services can answer (ERROR_STATUS) is in docs/protocol.md or docs/api.md', () => {
    expect(Object.keys(ERROR_STATUS).filter((code) => !documented(code))).toEqual([]);
  });

  it('every ack_* last_error code of the adapter is in docs/api.md', () => {
    const delivery = path.resolve(__dirname, '../../adapter/src/app/delivery');
    const codes = new Set(
      readdirSync(delivery)
        .filter((file) => file.endsWith('.ts') && !/spec\.ts$/.test(file))
        .flatMap((file) => [
          ...readFileSync(path.join(delivery, file), 'utf8').matchAll(/'(ack_[a-z_]+)'/g),
        ])
        .map((m) => m[1]),
    );
    expect(codes.size).toBeGreaterThan(0);
    expect([...codes].filter((code) => !apiMd.includes(`\`${code}\``))).toEqual([]);
  });

  it('every ack rejection reason is in docs/protocol.md', () => {
    expect(REJECT_REASONS.filter((reason) => !protocolMd.includes(`\`${reason}\``))).toEqual([]);
  });
});
