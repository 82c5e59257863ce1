import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { KeyObject } from 'node:crypto';
import {
  PROTOCOL_VERSION,
  formatProtocolTimestamp,
  messageDigest,
  parsePrivateKey,
  signObject,
  verifyObjectSignature,
} from '@pager/protocol';

/**
 * How the strict receiver treats one request:
 * - `ack`: store the first copy (if new), answer the signed ack naming the stored copy's digest;
 * - `lose_ack`: store, then never answer (the ack is lost: the sender times out);
 * - `store_then_503`: store, then answer 503 (the ack is lost in a failing proxy);
 * - `store_then_bad_signature`: store, then answer an ack whose signature does not verify;
 * - `store_then_wrong_digest`: store, then answer a signed ack naming another digest;
 * - `silent`: read the request, never answer, store nothing (a black hole);
 * - `trickle`: store, send the headers of a correct ack, then one body byte per `trickleMs`;
 * - `refuse_503`: store nothing, answer 503;
 * - `rate_limited_far`: store nothing, answer `429 rate_limited` with `Retry-After: 999999`
 *   (11.5 days: a receiver asking more than a sender should grant);
 * - `unavailable_far`: store nothing, answer `503` with `Retry-After: 999999`;
 * - `key_mismatch`: store nothing, answer `401 key_mismatch` (its pin of the sender is another
 *   key: a sender that just rotated, docs/protocol.md §2).
 */
export type ReceiverBehaviour =
  | 'ack'
  | 'lose_ack'
  | 'store_then_503'
  | 'store_then_bad_signature'
  | 'store_then_wrong_digest'
  | 'silent'
  | 'trickle'
  | 'refuse_503'
  | 'rate_limited_far'
  | 'unavailable_far'
  | 'key_mismatch';

export interface StrictReceiverOptions {
  /** The receiving server's id: `recipient_server` of its acks, the domain of `to`. */
  serverId: string;
  /** PKCS#8 PEM of the key its acks are signed with (the key its daemon announces). */
  privateKeyPem: string;
  host?: string;
  port?: number;
  /** Behaviour for the `n`-th request (1-based) carrying this message_id; default `ack`. */
  plan?: (message: Record<string, unknown>, n: number) => ReceiverBehaviour;
  /** The sender's public key: when given, a message that does not verify gets 401. */
  senderKey?: () => KeyObject | undefined;
  trickleMs?: number;
}

export interface ReceivedRequest {
  message: Record<string, unknown>;
  n: number;
  behaviour: ReceiverBehaviour;
  atMs: number;
}

export interface StoredCopy {
  message: Record<string, unknown>;
  digest: string;
}

/**
 * A remote federation adapter that follows PROTOCOL.md section 5 to the letter where it
 * answers at all: the pair (sender server, message_id) is stored once, and every ack for
 * it (repeats included) names the `message_digest` of the copy stored first. Behaviours
 * per request let a test lose acks, fail, lie, trickle or stay silent. A real node:http
 * server on loopback.
 */
export class StrictReceiver {
  readonly requests: ReceivedRequest[] = [];
  /** Keyed by `sender server\0message_id`: the inbox, one copy per message. */
  readonly stored = new Map<string, StoredCopy>();
  private readonly key: KeyObject;
  private readonly server = createServer((req, res) => this.handle(req, res));
  private readonly timers = new Set<NodeJS.Timeout>();
  url = '';

  constructor(private readonly options: StrictReceiverOptions) {
    this.key = parsePrivateKey(options.privateKeyPem);
  }

  async start(): Promise<this> {
    const host = this.options.host ?? '127.0.0.1';
    await new Promise<void>((resolve) => this.server.listen(this.options.port ?? 0, host, resolve));
    const port = (this.server.address() as AddressInfo).port;
    this.url = `http://${host}:${port}`;
    return this;
  }

  /** Requests that carried `messageId`, in arrival order. */
  requestsFor(messageId: string): ReceivedRequest[] {
    return this.requests.filter((r) => r.message.message_id === messageId);
  }

  /** Stored copies of `messageId` (0 or 1: more would break the contract). */
  copiesOf(messageId: string): StoredCopy[] {
    return [...this.stored.values()].filter((c) => c.message.message_id === messageId);
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let message: Record<string, unknown>;
      try {
        message = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        this.refuse(res, 400, 'invalid_json');
        return;
      }
      if (req.method !== 'POST' || !(req.url ?? '').endsWith('/messages')) {
        this.refuse(res, 404, 'not_found');
        return;
      }
      const senderKey = this.options.senderKey?.();
      if (senderKey && !verifyObjectSignature(message, senderKey)) {
        this.refuse(res, 401, 'signature_invalid');
        return;
      }
      const messageId = String(message.message_id);
      const n = this.requestsFor(messageId).length + 1;
      const behaviour = this.options.plan?.(message, n) ?? 'ack';
      this.requests.push({ message, n, behaviour, atMs: Date.now() });
      if (behaviour === 'silent') return;
      if (behaviour === 'refuse_503') {
        this.refuse(res, 503, 'unavailable');
        return;
      }
      if (behaviour === 'key_mismatch') {
        this.refuse(res, 401, 'key_mismatch');
        return;
      }
      if (behaviour === 'rate_limited_far' || behaviour === 'unavailable_far') {
        const limited = behaviour === 'rate_limited_far';
        this.refuse(res, limited ? 429 : 503, limited ? 'rate_limited' : 'unavailable', {
          'retry-after': '999999',
        });
        return;
      }
      const sender = String(message.from ?? '').split('@')[1] ?? '';
      const key = `${sender}\u0000${messageId}`;
      if (!this.stored.has(key)) this.stored.set(key, { message, digest: messageDigest(message) });
      const copy = this.stored.get(key) as StoredCopy;
      if (behaviour === 'lose_ack') return;
      if (behaviour === 'store_then_503') {
        this.refuse(res, 503, 'unavailable');
        return;
      }
      let ack = this.ack(messageId, copy.digest);
      if (behaviour === 'store_then_bad_signature')
        ack = { ...ack, signature: Buffer.from('not the signature').toString('base64') };
      if (behaviour === 'store_then_wrong_digest')
        ack = this.ack(messageId, messageDigest({ ...message, content: 'something else' }));
      const body = Buffer.from(JSON.stringify(ack));
      if (behaviour === 'trickle') {
        res.writeHead(200, {
          'content-type': 'application/json',
          'content-length': String(body.length),
        });
        let sent = 0;
        const timer = setInterval(() => {
          // One byte at a time, never the last one: only a whole-attempt deadline ends this.
          if (sent < body.length - 1 && !res.destroyed) res.write(body.subarray(sent, ++sent));
        }, this.options.trickleMs ?? 100);
        this.timers.add(timer);
        res.on('close', () => {
          clearInterval(timer);
          this.timers.delete(timer);
        });
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    });
  }

  private ack(messageId: string, digest: string): Record<string, unknown> {
    return signObject(
      {
        version: PROTOCOL_VERSION,
        ack_type: 'message_received',
        message_id: messageId,
        message_digest: digest,
        status: 'delivered',
        recipient_server: this.options.serverId,
        timestamp: formatProtocolTimestamp(Date.now()),
      },
      this.key,
    );
  }

  private refuse(
    res: ServerResponse,
    status: number,
    error: string,
    headers: Record<string, string> = {},
  ): void {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify({ error, message: error }));
  }
}
