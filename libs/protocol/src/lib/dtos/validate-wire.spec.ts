import { naughtyStrings, readFixtureJson } from '../../../test/spec-paths';
import { AckDto } from './ack.dto';
import { AnnouncementDto } from './announcement.dto';
import { GossipDto, GossipPushDto, GossipPushReplyDto, GossipReplyDto } from './gossip.dto';
import { MessageDto } from './message.dto';
import { PeerFileDto } from './peer-file.dto';
import { QueryDto, QueryReplyDto } from './query.dto';
import { validateWire } from './validate-wire';

type Json = Record<string, unknown>;
const valid = readFixtureJson<{ valid: Record<string, { object: Json }> }>(
  'test-vectors.json',
).valid;
const message = valid['message'].object;
const announcement = valid['announcement'].object;
const gossip = valid['gossip'].object;
const ack = valid['ack_delivered'].object;
const query = valid['query'].object;
const blns = naughtyStrings();

const ALL_DTOS: (new () => object)[] = [
  AnnouncementDto,
  GossipDto,
  GossipReplyDto,
  GossipPushDto,
  GossipPushReplyDto,
  QueryDto,
  QueryReplyDto,
  MessageDto,
  AckDto,
  PeerFileDto,
];

function errorsOf(cls: new () => object, plain: unknown): string[] {
  const result = validateWire(cls, plain);
  return result.ok ? [] : result.errors;
}

const envelope = {
  version: '1.0',
  gossip_id: 'GOSSIP-0F3A5B7C9D1E2F30415263748596A7B8',
  from: 'other-server.com',
  timestamp: '2025-10-15T10:30:06Z',
  signature: 'AAAA',
};

describe('validateWire', () => {
  describe('garbage', () => {
    const garbage: [string, unknown][] = [
      ['null', null],
      ['undefined', undefined],
      ['an array', [message]],
      ['a number', 42],
      ['a string', JSON.stringify(message)],
      ['a boolean', true],
      ['an empty object', {}],
      [
        'a __proto__ member',
        JSON.parse('{"__proto__":{"content":"x"},"constructor":{"name":"y"}}'),
      ],
      ['a prototype member', { prototype: { polluted: true } }],
      ['deep nesting', JSON.parse('['.repeat(5000) + ']'.repeat(5000))],
      [
        'a deeply nested member',
        { ...message, content: JSON.parse('{"a":'.repeat(2000) + '1' + '}'.repeat(2000)) },
      ],
    ];

    it.each(
      ALL_DTOS.flatMap((cls) =>
        garbage.map(([why, value]) => [cls.name, why, cls, value] as const),
      ),
    )('%s refuses %s without throwing', (_name, _why, cls, value) => {
      const result = validateWire(cls, value);
      expect(result.ok).toBe(false);
      expect(result.ok ? [] : result.errors).not.toHaveLength(0);
    });

    it('does not let __proto__ or constructor members reach the prototype chain', () => {
      const hostile = JSON.parse(
        JSON.stringify(message).replace('{', '{"__proto__":{"polluted":true},"constructor":"x",'),
      ) as unknown;
      const result = validateWire(MessageDto, hostile);
      expect(result.ok).toBe(true);
      if (result.ok) {
        expect(result.value).toBeInstanceOf(MessageDto);
        expect((result.value as unknown as Json)['polluted']).toBeUndefined();
      }
      expect(({} as Json)['polluted']).toBeUndefined();
    });

    it('says the body must be an object', () => {
      expect(errorsOf(MessageDto, [])).toEqual(['body: must be a JSON object']);
    });
  });

  describe('MessageDto', () => {
    it('tolerates members it does not know', () => {
      expect(validateWire(MessageDto, { ...message, future: { x: 1 } }).ok).toBe(true);
    });

    it('returns a typed instance', () => {
      const result = validateWire(MessageDto, message);
      expect(result.ok && result.value.content).toBe(message['content']);
      expect(result.ok && result.value).toBeInstanceOf(MessageDto);
    });

    it.each([
      ['empty content', { content: '' }, 'content: must be 1 to 4096 characters'],
      [
        'content over 4096 code points',
        { content: 'a'.repeat(4097) },
        'content: must be 1 to 4096 characters',
      ],
      ['content not a string', { content: 5 }, 'content: must be 1 to 4096 characters'],
      ['priority 3', { priority: 3 }, 'priority: must be an integer from 0 to 2'],
      ['priority 1.5', { priority: 1.5 }, 'priority: must be an integer from 0 to 2'],
      ['priority as a string', { priority: '1' }, 'priority: must be an integer from 0 to 2'],
      [
        'a lowercase message id',
        { message_id: 'MSG-abcdef12' },
        'message_id: must be MSG- followed by 8 to 32 uppercase hex digits',
      ],
      [
        'a timestamp with an offset',
        { timestamp: '2025-10-15T10:35:00+02:00' },
        'timestamp: must be an RFC 3339 UTC timestamp such as 2025-10-15T10:30:00Z',
      ],
      [
        'a lowercase fingerprint',
        { sender_fingerprint: 'f'.repeat(64) },
        'sender_fingerprint: must be 64 uppercase hex characters',
      ],
      [
        'an empty signature',
        { signature: '' },
        'signature: must be non-empty standard padded base64',
      ],
      ['a missing signature', { signature: undefined }, 'signature: must be a string'],
      ['a version without minor', { version: '1' }, 'version: must be a MAJOR.MINOR version'],
      ['an overlong to', { to: 'a'.repeat(301) }, 'to: must be at most 300 characters'],
    ])('refuses %s', (_why, change, error) => {
      expect(errorsOf(MessageDto, { ...message, ...change })).toContain(error);
    });

    it('counts content in code points, not UTF-16 units', () => {
      const emoji = '\u{1f600}'; // two UTF-16 units, one code point
      expect(validateWire(MessageDto, { ...message, content: emoji.repeat(4096) }).ok).toBe(true);
      expect(validateWire(MessageDto, { ...message, content: emoji.repeat(4097) }).ok).toBe(false);
    });

    it('leaves message_type values to the caller (unsupported_message_type)', () => {
      expect(validateWire(MessageDto, { ...message, message_type: 'sms' }).ok).toBe(true);
      expect(validateWire(MessageDto, { ...message, version: '2.0' }).ok).toBe(true);
    });

    it.each([
      ['content', 'content'],
      ['from', 'from'],
      ['to', 'to'],
    ])('never throws on naughty strings as %s', (_why, field) => {
      for (const s of blns) {
        expect(() => validateWire(MessageDto, { ...message, [field]: s })).not.toThrow();
      }
      // Every non-empty naughty string is acceptable content; only "" is not.
      if (field === 'content') {
        const refused = blns.filter(
          (s) => !validateWire(MessageDto, { ...message, content: s }).ok,
        );
        expect(refused).toEqual(blns.filter((s) => s === ''));
      }
    });
  });

  describe('AnnouncementDto', () => {
    it('accepts a rotation signature and an announcement without ai_messaging', () => {
      const { ai_messaging: _omitted, ...capabilities } = announcement['capabilities'] as Json;
      expect(
        validateWire(AnnouncementDto, { ...announcement, capabilities, rotation_signature: 'AAAA' })
          .ok,
      ).toBe(true);
    });

    it.each([
      [
        'capabilities as an array',
        { capabilities: [announcement['capabilities']] },
        'capabilities: must be an object',
      ],
      [
        'paging as a string',
        { capabilities: { ...(announcement['capabilities'] as Json), paging: 'yes' } },
        'capabilities.paging: must be a boolean',
      ],
      [
        '17 supported versions',
        {
          capabilities: {
            ...(announcement['capabilities'] as Json),
            supported_versions: Array(17).fill('1.0'),
          },
        },
        'capabilities.supported_versions: must hold at most 16 items',
      ],
      [
        'no discovery endpoint',
        { endpoints: { federation: 'https://x' } },
        'endpoints.discovery: must be a string',
      ],
      ['endpoints missing', { endpoints: undefined }, 'endpoints: must be an object'],
      [
        'an oversized public key',
        { public_key: 'k'.repeat(16385) },
        'public_key: must be at most 16384 characters',
      ],
      [
        'a bad rotation signature',
        { rotation_signature: 'not base64!' },
        'rotation_signature: must be non-empty standard padded base64',
      ],
    ])('refuses %s', (_why, change, error) => {
      expect(errorsOf(AnnouncementDto, { ...announcement, ...change })).toContain(error);
    });

    it('never throws on naughty strings as server_id', () => {
      for (const s of blns) {
        expect(() =>
          validateWire(AnnouncementDto, { ...announcement, server_id: s }),
        ).not.toThrow();
      }
    });
  });

  describe('gossip envelopes', () => {
    it('does not validate the announcements inside (they are checked one by one later)', () => {
      const result = validateWire(GossipDto, { ...gossip, announcements: [{ nonsense: true }] });
      expect(result.ok).toBe(true);
    });

    it.each([
      [
        '63 bucket hashes',
        { bucket_hashes: (gossip['bucket_hashes'] as string[]).slice(1) },
        'bucket_hashes: must hold exactly 64 hashes',
      ],
      [
        'an uppercase bucket hash',
        { bucket_hashes: (gossip['bucket_hashes'] as string[]).map((h) => h.toUpperCase()) },
        'bucket_hashes: must hold 64 lowercase hex characters each',
      ],
      [
        'numbers as bucket hashes',
        { bucket_hashes: Array(64).fill(7) },
        'bucket_hashes: must hold 64 lowercase hex characters each',
      ],
      [
        'bucket hashes as one string',
        { bucket_hashes: 'a'.repeat(64) },
        'bucket_hashes: must be an array of 64 hashes',
      ],
      [
        '501 announcements',
        { announcements: Array(501).fill({}) },
        'announcements: must hold at most 500 items',
      ],
      [
        'a non-object announcement',
        { announcements: ['x'] },
        'announcements: must hold objects only',
      ],
      ['a wrong type', { type: 'gossip_reply' }, 'type: must be "gossip"'],
      [
        'a short digest hash',
        { digest_hash: 'abc' },
        'digest_hash: must be 64 lowercase hex characters',
      ],
      [
        'a query id as gossip id',
        { gossip_id: 'QUERY-0F3A5B7C' },
        'gossip_id: must be GOSSIP- followed by 8 to 32 uppercase hex digits',
      ],
    ])('refuses a gossip with %s', (_why, change, error) => {
      expect(errorsOf(GossipDto, { ...gossip, ...change })).toContain(error);
    });

    it('accepts an in-sync reply with nothing else', () => {
      expect(
        validateWire(GossipReplyDto, { ...envelope, type: 'gossip_reply', in_sync: true }).ok,
      ).toBe(true);
    });

    it('requires bucket hashes in a reply that is not in sync', () => {
      const reply = {
        ...envelope,
        type: 'gossip_reply',
        in_sync: false,
        digest: {},
        announcements: [],
      };
      expect(errorsOf(GossipReplyDto, reply)).toContain(
        'bucket_hashes: must be an array of 64 hashes',
      );
      expect(
        validateWire(GossipReplyDto, { ...reply, bucket_hashes: gossip['bucket_hashes'] }).ok,
      ).toBe(true);
    });

    it('checks the digest maps server ids to timestamps', () => {
      const reply = { ...envelope, type: 'gossip_reply', in_sync: true };
      expect(
        validateWire(GossipReplyDto, { ...reply, digest: { 'a.example': '2025-10-15T09:00:00Z' } })
          .ok,
      ).toBe(true);
      expect(errorsOf(GossipReplyDto, { ...reply, digest: { 'a.example': 5 } })).toContain(
        'digest: must map server ids to RFC 3339 UTC timestamps',
      );
      expect(validateWire(GossipReplyDto, { ...reply, digest: ['2025-10-15T09:00:00Z'] }).ok).toBe(
        false,
      );
    });

    it('validates push and push reply', () => {
      const push = {
        ...envelope,
        type: 'gossip_push',
        announcements: [announcement],
        want: ['a.example'],
      };
      expect(validateWire(GossipPushDto, push).ok).toBe(true);
      expect(errorsOf(GossipPushDto, { ...push, want: [1] })).toContain(
        'want: must hold strings only',
      );
      expect(errorsOf(GossipPushDto, { ...push, want: Array(10001).fill('a') })).toContain(
        'want: must hold at most 10000 items',
      );
      const pushReply = { ...envelope, type: 'gossip_push_reply', announcements: [] };
      expect(validateWire(GossipPushReplyDto, pushReply).ok).toBe(true);
      expect(validateWire(GossipPushReplyDto, { ...pushReply, type: 'gossip_push' }).ok).toBe(
        false,
      );
    });
  });

  describe('queries', () => {
    it.each([0, 6, 2.5, '5'])('refuses max_hops %p', (max_hops) => {
      expect(errorsOf(QueryDto, { ...query, max_hops })).toContain(
        'max_hops: must be an integer from 1 to 5',
      );
    });

    it('requires an announcement in a found reply only', () => {
      const queryId = query['query_id'];
      expect(validateWire(QueryReplyDto, { query_id: queryId, found: false }).ok).toBe(true);
      expect(validateWire(QueryReplyDto, { query_id: queryId, found: true, announcement }).ok).toBe(
        true,
      );
      expect(errorsOf(QueryReplyDto, { query_id: queryId, found: true })).toContain(
        'announcement: must be an object',
      );
    });
  });

  describe('AckDto', () => {
    it('requires a known reason on a rejection', () => {
      const rejected = { ...ack, status: 'rejected' };
      expect(errorsOf(AckDto, rejected)).toContain(
        'reason: must be one of unknown_recipient, recipient_not_accepting, blocked_by_recipient',
      );
      expect(validateWire(AckDto, { ...rejected, reason: 'blocked_by_recipient' }).ok).toBe(true);
      expect(validateWire(AckDto, { ...rejected, reason: 'because' }).ok).toBe(false);
    });

    it('refuses an unknown status', () => {
      expect(errorsOf(AckDto, { ...ack, status: 'queued' })).toContain(
        'status: must be one of delivered, rejected',
      );
    });

    it('never throws on naughty strings as reason', () => {
      for (const s of blns) {
        expect(validateWire(AckDto, { ...ack, status: 'rejected', reason: s }).ok).toBe(false);
      }
    });
  });

  describe('PeerFileDto', () => {
    const peerFile = {
      version: '1.0',
      peers: [
        {
          server_id: 'community1.example.com',
          endpoints: { discovery: 'https://community1.example.com/discovery' },
          last_seen: '2025-10-15T10:00:00Z',
        },
      ],
      compiled_by: 'community-maintainer',
      compiled_date: '2025-10-15T10:00:00Z',
    };

    it('accepts the example from the spec, and a minimal one', () => {
      expect(validateWire(PeerFileDto, peerFile).ok).toBe(true);
      expect(validateWire(PeerFileDto, { version: '1.0', peers: [] }).ok).toBe(true);
    });

    it('names the failing peer by index', () => {
      const broken = { ...peerFile, peers: [...peerFile.peers, { server_id: 'x', endpoints: {} }] };
      expect(errorsOf(PeerFileDto, broken)).toContain(
        'peers.1.endpoints.discovery: must be a string',
      );
    });

    it('refuses a peer that is an array', () => {
      expect(validateWire(PeerFileDto, { ...peerFile, peers: [[peerFile.peers[0]]] }).ok).toBe(
        false,
      );
    });
  });
});

describe('strings PostgreSQL cannot keep (U+0000, lone surrogates)', () => {
  const hostile = ['a\u0000b', 'x\uD800', '\uDC00y'];

  it.each([
    ['announcement server_id', AnnouncementDto, { ...announcement, server_id: 'HOSTILE' }],
    [
      'announcement endpoint',
      AnnouncementDto,
      { ...announcement, endpoints: { federation: 'HOSTILE', discovery: 'https://x/d' } },
    ],
    [
      'a supported version',
      AnnouncementDto,
      {
        ...announcement,
        capabilities: { paging: true, supported_versions: ['HOSTILE'] },
      },
    ],
    ['gossip from', GossipDto, { ...gossip, from: 'HOSTILE' }],
    ['query domain', QueryDto, { ...query, domain: 'HOSTILE' }],
    ['query requester', QueryDto, { ...query, requester: 'HOSTILE' }],
    ['message from', MessageDto, { ...message, from: 'HOSTILE' }],
    ['ack recipient_server', AckDto, { ...ack, recipient_server: 'HOSTILE' }],
  ])('refuses them as %s', (_what, cls, template) => {
    for (const text of hostile) {
      const plain = JSON.parse(
        JSON.stringify(template).replace('"HOSTILE"', () => JSON.stringify(text)),
      ) as Json;
      expect(errorsOf(cls, plain).join(' ')).toContain('well-formed Unicode without U+0000');
    }
  });

  it('refuses them in a push want list and as digest keys', () => {
    const push = { ...envelope, type: 'gossip_push', announcements: [], want: ['ok', 'a\u0000'] };
    expect(validateWire(GossipPushDto, push).ok).toBe(false);
    const reply = {
      ...envelope,
      type: 'gossip_reply',
      in_sync: true,
      digest: { ['a\u0000b']: '2025-10-15T10:30:06Z' },
    };
    expect(validateWire(GossipReplyDto, reply).ok).toBe(false);
  });

  it('still accepts them in a page content, which the adapter stores losslessly', () => {
    for (const text of hostile) {
      expect(validateWire(MessageDto, { ...message, content: text }).ok).toBe(true);
    }
  });
});
