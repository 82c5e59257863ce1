import {
  PROTOCOL_VERSION,
  addRotationSignature,
  computeBucketHashes,
  computeDigestHash,
  differingBuckets,
  bucketOf,
  messageDigest,
  signObject,
} from '@pager/protocol';
import type { KeyObject } from 'node:crypto';
import { withGeneratedSection } from '@pager/server-kit';
import { vectorKey } from './spec-fixtures';

/** A JSON object of docs/protocol.md's examples. */
export type ExampleObject = Record<string, unknown>;

const MIRAH = 'mirah.example.com';
const OTHER = 'other-server.com';

function announcement(serverId: string, publicKey: string, timestamp: string, key: KeyObject) {
  return signObject(
    {
      version: PROTOCOL_VERSION,
      server_id: serverId,
      public_key: publicKey,
      capabilities: { paging: true, ai_messaging: false, supported_versions: [PROTOCOL_VERSION] },
      endpoints: {
        federation: `https://${serverId}/federation`,
        discovery: `https://${serverId}/discovery`,
      },
      timestamp,
    },
    key,
  );
}

function digestOf(table: { server_id: string; timestamp: string }[]) {
  const bucketHashes = computeBucketHashes(table);
  return { bucketHashes, digestHash: computeDigestHash(bucketHashes) };
}

/**
 * The example objects of docs/protocol.md, made by the project's own code (libs/protocol)
 * with the fixed keys of libs/protocol/test/fixtures/test-vectors.json (`mirah.example.com`,
 * `other-server.com`, and mirah's rotated key) and fixed ids and timestamps, so that every run
 * gives the same bytes (RSASSA-PKCS1-v1_5 signatures are deterministic). `npm run
 * docs:examples` writes them into the doc's `<!-- generated:example:NAME -->` blocks;
 * apps/e2e/src/protocol-doc.spec.ts checks that the doc holds exactly these and that each
 * signature in it verifies.
 *
 * @returns example name → JSON object, in the order the doc shows them.
 */
export function protocolExamples(): Record<string, ExampleObject> {
  const mirah = vectorKey(MIRAH);
  const other = vectorKey(OTHER);
  const rotated = vectorKey(`${MIRAH} (rotated)`);

  const mirahAnnouncement = announcement(
    MIRAH,
    mirah.public_key,
    '2025-10-15T10:30:00.000Z',
    mirah.privateKey,
  );
  const otherAnnouncement = announcement(
    OTHER,
    other.public_key,
    '2025-10-15T09:00:00.000Z',
    other.privateKey,
  );
  const rotation = addRotationSignature(
    announcement(MIRAH, rotated.public_key, '2025-10-16T08:00:00.000Z', rotated.privateKey),
    mirah.privateKey,
  );

  // Gossip: mirah holds only itself; other-server holds itself and, once it has taken the
  // announcement enclosed in mirah's `gossip`, mirah's too.
  const mirahTable = [{ server_id: MIRAH, timestamp: mirahAnnouncement.timestamp }];
  const otherTable = [
    { server_id: OTHER, timestamp: otherAnnouncement.timestamp },
    { server_id: MIRAH, timestamp: mirahAnnouncement.timestamp },
  ];
  const sent = digestOf(mirahTable);
  const held = digestOf(otherTable);
  const differing = new Set(differingBuckets(sent.bucketHashes, held.bucketHashes));
  const gossipId = 'GOSSIP-0F3A5B7C9D1E2F30415263748596A7B8';
  const gossip = signObject(
    {
      version: PROTOCOL_VERSION,
      type: 'gossip',
      gossip_id: gossipId,
      from: MIRAH,
      timestamp: '2025-10-15T10:30:05.000Z',
      digest_hash: sent.digestHash,
      bucket_hashes: sent.bucketHashes,
      announcements: [mirahAnnouncement],
    },
    mirah.privateKey,
  );
  const gossipReply = signObject(
    {
      version: PROTOCOL_VERSION,
      type: 'gossip_reply',
      gossip_id: gossipId,
      from: OTHER,
      timestamp: '2025-10-15T10:30:05.120Z',
      in_sync: false,
      bucket_hashes: held.bucketHashes,
      digest: Object.fromEntries(
        otherTable
          .filter((entry) => differing.has(bucketOf(entry.server_id)))
          .map((entry) => [entry.server_id, entry.timestamp]),
      ),
      announcements: [otherAnnouncement],
    },
    other.privateKey,
  );
  const gossipPush = signObject(
    {
      version: PROTOCOL_VERSION,
      type: 'gossip_push',
      gossip_id: gossipId,
      from: MIRAH,
      timestamp: '2025-10-15T10:30:05.250Z',
      announcements: [],
      want: [OTHER],
    },
    mirah.privateKey,
  );
  const gossipPushReply = signObject(
    {
      version: PROTOCOL_VERSION,
      type: 'gossip_push_reply',
      gossip_id: gossipId,
      from: OTHER,
      timestamp: '2025-10-15T10:30:05.300Z',
      announcements: [otherAnnouncement],
    },
    other.privateKey,
  );

  const query = signObject(
    {
      version: PROTOCOL_VERSION,
      type: 'query',
      query_id: 'QUERY-87654321ABCDEF0087654321ABCDEF00',
      domain: OTHER,
      requester: MIRAH,
      from: MIRAH,
      max_hops: 5,
      timestamp: '2025-10-15T10:36:00.000Z',
    },
    mirah.privateKey,
  );
  const queryReply = {
    query_id: query.query_id,
    found: true,
    announcement: otherAnnouncement,
  };

  const message = (to: string, messageId: string, timestamp: string, content: string) =>
    signObject(
      {
        version: PROTOCOL_VERSION,
        message_id: messageId,
        message_type: 'pager',
        from: `taylor@${MIRAH}`,
        to,
        content,
        priority: 2,
        timestamp,
        sender_fingerprint: mirah.fingerprint,
      },
      mirah.privateKey,
    );
  const ack = (
    m: ExampleObject,
    timestamp: string,
    outcome: { status: 'delivered' } | { status: 'rejected'; reason: string },
  ) =>
    signObject(
      {
        version: PROTOCOL_VERSION,
        ack_type: 'message_received',
        message_id: m['message_id'],
        message_digest: messageDigest(m),
        ...outcome,
        recipient_server: OTHER,
        timestamp,
      },
      other.privateKey,
    );
  const pageId = 'MSG-3C1F9A0B5D7E4F2196A8B0C2D4E6F801';
  const content = 'Database primary down in eu-west-1, please join the bridge';
  const first = message(`alex@${OTHER}`, pageId, '2025-10-15T10:35:00.000Z', content);
  const retry = message(`alex@${OTHER}`, pageId, '2025-10-15T10:35:31.000Z', content);
  const ackDelivered = ack(first, '2025-10-15T10:35:00.412Z', { status: 'delivered' });
  // The ack to the retry names the stored copy: the first attempt's digest, not the retry's.
  const ackRepeat = ack(first, '2025-10-15T10:35:31.207Z', { status: 'delivered' });
  const unknown = message(
    `nobody@${OTHER}`,
    'MSG-7B2E4D6F8A0C1E3F5A7B9C0D2E4F6A8B',
    '2025-10-15T10:40:00.000Z',
    'Are you there?',
  );
  const ackRejected = ack(unknown, '2025-10-15T10:40:00.388Z', {
    status: 'rejected',
    reason: 'unknown_recipient',
  });

  const peerFile = {
    version: PROTOCOL_VERSION,
    peers: [
      {
        server_id: OTHER,
        endpoints: { discovery: `https://${OTHER}/discovery` },
        last_seen: '2025-10-15T10:00:00.000Z',
      },
    ],
    compiled_by: MIRAH,
    compiled_date: '2025-10-15T10:00:00.000Z',
  };

  return {
    announcement: mirahAnnouncement,
    'announcement-rotation': rotation,
    gossip,
    'gossip-reply': gossipReply,
    'gossip-push': gossipPush,
    'gossip-push-reply': gossipPushReply,
    query,
    'query-reply': queryReply,
    message: first,
    ack: ackDelivered,
    'message-retry': retry,
    'ack-repeat': ackRepeat,
    'message-unknown-recipient': unknown,
    'ack-rejected': ackRejected,
    'peer-file': peerFile,
  };
}

/** The fenced JSON block an example is shown as in docs/protocol.md. */
export function exampleBlock(example: ExampleObject): string {
  return ['```json', JSON.stringify(example, null, 2), '```'].join('\n');
}

const EXAMPLE_MARKER = /<!-- generated:example:([a-z0-9-]+) -->/g;

/**
 * docs/protocol.md's text with every `<!-- generated:example:NAME -->` block rewritten from
 * protocolExamples().
 * @throws Error when the doc has a block for an unknown example, or lacks one for an example.
 */
export function withProtocolExamples(doc: string): string {
  const examples = protocolExamples();
  const named = new Set([...doc.matchAll(EXAMPLE_MARKER)].map((m) => m[1]));
  const unknown = [...named].filter((name) => !(name in examples));
  const missing = Object.keys(examples).filter((name) => !named.has(name));
  if (unknown.length > 0 || missing.length > 0) {
    throw new Error(
      `docs/protocol.md example blocks: unknown ${unknown.join(', ') || 'none'}; missing ${missing.join(', ') || 'none'}`,
    );
  }
  let text = doc;
  for (const [name, example] of Object.entries(examples)) {
    text = withGeneratedSection(text, `example:${name}`, exampleBlock(example));
  }
  return text;
}
