import fc from 'fast-check';
import {
  MAX_GOSSIP_BODY_BYTES,
  MAX_MESSAGE_BODY_BYTES,
  MAX_QUERY_BODY_BYTES,
  formatProtocolTimestamp,
  newGossipId,
  newMessageId,
  newQueryId,
  signObject,
} from '@pager/protocol';
import type { KeyObject } from 'node:crypto';
import { hostileString, hostileValue, toJsonText, wrongType } from './hostile-values';

/** The servers and identities a fuzz run talks to and signs as. */
export interface FuzzContext {
  discoveryUrl: string;
  adapterUrl: string;
  /** The server under test. */
  serverId: string;
  /** A peer the daemon knows (pinned, stored): its signatures verify. */
  peerId: string;
  peerKey: KeyObject;
  peerPublicKey: string;
  peerFingerprint: string;
  /** The peer's own, signed announcement (gossip templates carry it). */
  peerAnnouncement: () => Record<string, unknown>;
  /** A registered local user: user_id and username. */
  userId: string;
  username: string;
}

type Service = 'discovery' | 'adapter';
type Json = Record<string, unknown>;

/** One endpoint: how to build a valid request, and what may be mutated. */
interface Endpoint {
  service: Service;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path template: `{}` is replaced by the (possibly hostile) parameter. */
  path: string;
  /** Valid parameters for `{}`; never the known peer (blocking it would stop the fuzz). */
  params?: (ctx: FuzzContext) => string[];
  /** A valid body, and the key that signs it (signed wire objects). */
  body?: (ctx: FuzzContext) => Json;
  signedBy?: (ctx: FuzzContext) => KeyObject;
  /** Body limit (PROTOCOL.md section 6 / server-kit default): over it, 413 or a reset. */
  limit: number;
}

const now = () => formatProtocolTimestamp(Date.now());
const peerKey = (ctx: FuzzContext) => ctx.peerKey;
const INTERNAL_LIMIT = MAX_QUERY_BODY_BYTES;

/** Every public and internal endpoint of both services, by label. */
export const ENDPOINTS: Record<string, Endpoint> = {
  'POST /discovery/gossip': {
    service: 'discovery',
    method: 'POST',
    path: '/discovery/gossip',
    body: (ctx) => ({
      version: '1.0',
      type: 'gossip',
      gossip_id: newGossipId(),
      from: ctx.peerId,
      timestamp: now(),
      digest_hash: 'a'.repeat(64),
      bucket_hashes: Array.from({ length: 64 }, () => 'b'.repeat(64)),
      announcements: [ctx.peerAnnouncement()],
    }),
    signedBy: peerKey,
    limit: MAX_GOSSIP_BODY_BYTES,
  },
  'POST /discovery/gossip (push)': {
    service: 'discovery',
    method: 'POST',
    path: '/discovery/gossip',
    body: (ctx) => ({
      version: '1.0',
      type: 'gossip_push',
      gossip_id: newGossipId(),
      from: ctx.peerId,
      timestamp: now(),
      announcements: [ctx.peerAnnouncement()],
      want: [ctx.serverId],
    }),
    signedBy: peerKey,
    limit: MAX_GOSSIP_BODY_BYTES,
  },
  'POST /discovery/query': {
    service: 'discovery',
    method: 'POST',
    path: '/discovery/query',
    body: (ctx) => ({
      version: '1.0',
      type: 'query',
      query_id: newQueryId(),
      domain: 'unknown-domain.example',
      requester: ctx.peerId,
      from: ctx.peerId,
      max_hops: 1,
      timestamp: now(),
    }),
    signedBy: peerKey,
    limit: MAX_QUERY_BODY_BYTES,
  },
  'GET /discovery/announcement': {
    service: 'discovery',
    method: 'GET',
    path: '/discovery/announcement',
    limit: INTERNAL_LIMIT,
  },
  'POST /api/v1/announce': {
    service: 'discovery',
    method: 'POST',
    path: '/api/v1/announce',
    limit: INTERNAL_LIMIT,
  },
  'GET /api/v1/peers': {
    service: 'discovery',
    method: 'GET',
    path: '/api/v1/peers',
    limit: INTERNAL_LIMIT,
  },
  'POST /api/v1/route/{domain}': {
    service: 'discovery',
    method: 'POST',
    path: '/api/v1/route/{}',
    params: (ctx) => [ctx.serverId, ctx.peerId, 'nobody.example', 'UPPER.Example'],
    limit: INTERNAL_LIMIT,
  },
  'POST /api/v1/reputation/report': {
    service: 'discovery',
    method: 'POST',
    path: '/api/v1/reputation/report',
    body: () => ({ server_id: 'spammer.example', reason: 'spam', details: 'fuzz' }),
    limit: INTERNAL_LIMIT,
  },
  'GET /api/v1/reputation/{server_id}': {
    service: 'discovery',
    method: 'GET',
    path: '/api/v1/reputation/{}',
    params: (ctx) => [ctx.peerId, 'spammer.example', 'never-seen.example'],
    limit: INTERNAL_LIMIT,
  },
  'GET /api/v1/blocklist': {
    service: 'discovery',
    method: 'GET',
    path: '/api/v1/blocklist',
    limit: INTERNAL_LIMIT,
  },
  'PUT /api/v1/blocklist/{server_id}': {
    service: 'discovery',
    method: 'PUT',
    path: '/api/v1/blocklist/{}',
    params: (ctx) => ['spammer.example', 'other.example', ctx.serverId],
    body: () => ({ reason: 'fuzz' }),
    limit: INTERNAL_LIMIT,
  },
  'DELETE /api/v1/blocklist/{server_id}': {
    service: 'discovery',
    method: 'DELETE',
    path: '/api/v1/blocklist/{}',
    params: () => ['spammer.example', 'other.example'],
    limit: INTERNAL_LIMIT,
  },
  'POST /api/v1/peers/import': {
    service: 'discovery',
    method: 'POST',
    path: '/api/v1/peers/import',
    body: () => ({
      version: '1.0',
      peers: [
        {
          server_id: 'imported.example',
          endpoints: { discovery: 'http://127.0.0.79:9/discovery' },
        },
      ],
    }),
    limit: MAX_GOSSIP_BODY_BYTES,
  },
  'GET /api/v1/peers/export': {
    service: 'discovery',
    method: 'GET',
    path: '/api/v1/peers/export',
    limit: INTERNAL_LIMIT,
  },
  'DELETE /api/v1/pins/{server_id}': {
    service: 'discovery',
    method: 'DELETE',
    path: '/api/v1/pins/{}',
    params: () => ['never-pinned.example'],
    limit: INTERNAL_LIMIT,
  },
  'POST /federation/messages': {
    service: 'adapter',
    method: 'POST',
    path: '/federation/messages',
    body: (ctx) => ({
      version: '1.0',
      message_id: newMessageId(),
      message_type: 'pager',
      from: `alice@${ctx.peerId}`,
      to: `${ctx.username}@${ctx.serverId}`,
      content: 'fuzz page',
      priority: 1,
      timestamp: now(),
      sender_fingerprint: ctx.peerFingerprint,
    }),
    signedBy: peerKey,
    limit: MAX_MESSAGE_BODY_BYTES,
  },
  'POST /api/v1/users': {
    service: 'adapter',
    method: 'POST',
    path: '/api/v1/users',
    body: () => ({ user_id: 'fuzz-new', username: 'fuzz_new' }),
    limit: INTERNAL_LIMIT,
  },
  'GET /api/v1/users/{username}': {
    service: 'adapter',
    method: 'GET',
    path: '/api/v1/users/{}',
    params: (ctx) => [ctx.username, 'nobody'],
    limit: INTERNAL_LIMIT,
  },
  'PUT /api/v1/users/{user_id}/policy': {
    service: 'adapter',
    method: 'PUT',
    path: '/api/v1/users/{}/policy',
    params: (ctx) => [ctx.userId, 'no-such-user'],
    body: () => ({ accept: 'anyone' }),
    limit: INTERNAL_LIMIT,
  },
  'POST /api/v1/users/{user_id}/blocks': {
    service: 'adapter',
    method: 'POST',
    path: '/api/v1/users/{}/blocks',
    params: (ctx) => [ctx.userId],
    body: () => ({ address: 'spam@spammer.example' }),
    limit: INTERNAL_LIMIT,
  },
  'DELETE /api/v1/users/{user_id}/blocks/{address}': {
    service: 'adapter',
    method: 'DELETE',
    path: '/api/v1/users/{}/blocks/spam%40spammer.example',
    params: (ctx) => [ctx.userId],
    limit: INTERNAL_LIMIT,
  },
  'POST /api/v1/users/{user_id}/contacts': {
    service: 'adapter',
    method: 'POST',
    path: '/api/v1/users/{}/contacts',
    params: (ctx) => [ctx.userId],
    body: (ctx) => ({
      name: 'Alice',
      email: 'alice@example.com',
      phone: '+15550100',
      pager_address: `alice@${ctx.peerId}`,
    }),
    limit: INTERNAL_LIMIT,
  },
  'GET /api/v1/users/{user_id}/contacts': {
    service: 'adapter',
    method: 'GET',
    path: '/api/v1/users/{}/contacts',
    params: (ctx) => [ctx.userId, 'no-such-user'],
    limit: INTERNAL_LIMIT,
  },
  'DELETE /api/v1/users/{user_id}/contacts/{id}': {
    service: 'adapter',
    method: 'DELETE',
    path: `/api/v1/users/{}/contacts/00000000-0000-4000-8000-000000000000`,
    params: (ctx) => [ctx.userId],
    limit: INTERNAL_LIMIT,
  },
  'POST /api/v1/messages': {
    service: 'adapter',
    method: 'POST',
    path: '/api/v1/messages',
    body: (ctx) => ({
      sender_user_id: ctx.userId,
      to: ctx.username,
      content: 'local fuzz page',
      priority: 1,
    }),
    limit: INTERNAL_LIMIT,
  },
  'GET /api/v1/messages/{message_id}': {
    service: 'adapter',
    method: 'GET',
    path: '/api/v1/messages/{}',
    params: () => ['MSG-0123456789ABCDEF0123456789ABCDEF'],
    limit: INTERNAL_LIMIT,
  },
  'GET /api/v1/users/{user_id}/messages': {
    service: 'adapter',
    method: 'GET',
    path: '/api/v1/users/{}/messages?box=inbox&limit=5',
    params: (ctx) => [ctx.userId],
    limit: INTERNAL_LIMIT,
  },
};

/** What is done to the valid request. Plain data, so that a seed reproduces a run. */
export type Mutation =
  | { kind: 'valid' }
  | { kind: 'replace'; pick: number; value: unknown; resign: boolean }
  | { kind: 'delete'; pick: number; resign: boolean }
  | { kind: 'add'; name: string; value: unknown; resign: boolean }
  | { kind: 'duplicate'; pick: number; value: unknown; first: boolean }
  | { kind: 'truncate'; fraction: number }
  | { kind: 'raw'; text: string }
  | { kind: 'root'; value: unknown }
  | { kind: 'oversize' }
  | { kind: 'content_type'; contentType: string | null };

export interface FuzzRecipe {
  endpoint: string;
  /** Index into the endpoint's valid params, or a hostile parameter. */
  param: { valid: number } | { hostile: string };
  mutation: Mutation;
  /** Query-string noise for GETs. */
  query?: string;
}

/** A request ready to send. */
export interface FuzzRequest {
  endpoint: string;
  service: Service;
  method: string;
  url: string;
  body?: string;
  contentType?: string | null;
  /** Larger than the endpoint's limit: a 413 or a closed connection are both fine. */
  oversize: boolean;
  mutation: Mutation['kind'];
}

function mutationArb(hasBody: boolean): fc.Arbitrary<Mutation> {
  if (!hasBody) {
    return fc.oneof(
      { weight: 1, arbitrary: fc.constant<Mutation>({ kind: 'valid' }) },
      {
        weight: 1,
        arbitrary: hostileValue().map<Mutation>((value) => ({ kind: 'root', value })),
      },
      {
        weight: 1,
        arbitrary: hostileString().map<Mutation>((text) => ({ kind: 'raw', text })),
      },
    );
  }
  const pick = fc.nat();
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant<Mutation>({ kind: 'valid' }) },
    {
      weight: 8,
      arbitrary: fc
        .record({ pick, value: hostileValue(), resign: fc.boolean() })
        .map<Mutation>((m) => ({ kind: 'replace', ...m })),
    },
    {
      weight: 2,
      arbitrary: fc
        .record({ pick, resign: fc.boolean() })
        .map<Mutation>((m) => ({ kind: 'delete', ...m })),
    },
    {
      weight: 2,
      arbitrary: fc
        .record({
          name: fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype'), hostileString()),
          value: hostileValue(),
          resign: fc.boolean(),
        })
        .map<Mutation>((m) => ({ kind: 'add', ...m })),
    },
    {
      weight: 2,
      arbitrary: fc
        .record({ pick, value: hostileValue(), first: fc.boolean() })
        .map<Mutation>((m) => ({ kind: 'duplicate', ...m })),
    },
    {
      weight: 2,
      arbitrary: fc
        .double({ min: 0, max: 1, noNaN: true })
        .map<Mutation>((fraction) => ({ kind: 'truncate', fraction })),
    },
    {
      weight: 1,
      arbitrary: hostileString().map<Mutation>((text) => ({ kind: 'raw', text })),
    },
    {
      weight: 1,
      arbitrary: wrongType().map<Mutation>((value) => ({ kind: 'root', value })),
    },
    { weight: 1, arbitrary: fc.constant<Mutation>({ kind: 'oversize' }) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/jsonx', null)
        .map<Mutation>((contentType) => ({ kind: 'content_type', contentType })),
    },
  );
}

/** Recipes for one endpoint. Public wire endpoints get more weight than internal reads. */
function recipeArb(label: string): fc.Arbitrary<FuzzRecipe> {
  const endpoint = ENDPOINTS[label];
  const hasParam = endpoint.path.includes('{}');
  const param: fc.Arbitrary<FuzzRecipe['param']> = hasParam
    ? fc.oneof(
        fc.nat({ max: 7 }).map((valid) => ({ valid })),
        // Under 2 KiB encoded: longer URLs are the HTTP parser's (431), see fuzz.e2e-spec.ts.
        hostileString()
          .filter((s) => Buffer.byteLength(s, 'utf8') * 3 < 2048)
          .map((hostile) => ({ hostile })),
      )
    : fc.constant({ valid: 0 });
  const query =
    endpoint.method === 'GET'
      ? fc.option(
          hostileString().filter((s) => Buffer.byteLength(s, 'utf8') * 3 < 2048),
          { nil: undefined },
        )
      : fc.constant(undefined);
  return fc.record({
    endpoint: fc.constant(label),
    param,
    mutation: mutationArb(endpoint.body !== undefined),
    query,
  });
}

/** Every endpoint's recipes, weighted: public wire endpoints 4, bodies 2, the rest 1. */
export function fuzzRecipes(): fc.Arbitrary<FuzzRecipe> {
  return fc.oneof(
    ...Object.keys(ENDPOINTS).map((label) => {
      const e = ENDPOINTS[label];
      const weight = e.signedBy ? 4 : e.body ? 2 : 1;
      return { weight, arbitrary: recipeArb(label) };
    }),
  );
}

/** Leaf paths of a JSON object (arrays and objects included as paths themselves). */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (typeof value !== 'object' || value === null) return [prefix];
  const keys = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  const out: (string | number)[][] = prefix.length > 0 ? [prefix] : [];
  for (const key of keys) out.push(...paths((value as Json)[key as string], [...prefix, key]));
  return out;
}

function setPath(root: Json, path: (string | number)[], value: unknown, remove = false): void {
  let target = root as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) target = target[key] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (remove) delete target[last];
  else target[last] = value;
}

function trySign(body: Json, key: KeyObject): Json {
  try {
    return signObject(body, key);
  } catch {
    return body; // a value RFC 8785 cannot canonicalize: sent with the old signature
  }
}

/** JSON text of an object with a member of the same name written once more. */
function withDuplicate(text: string, name: string, value: unknown, first: boolean): string {
  const member = `${JSON.stringify(name)}:${toJsonText(value)}`;
  if (first) return `{${member},${text.slice(1)}`;
  return `${text.slice(0, -1)},${member}}`;
}

/**
 * Percent-encodes the UTF-8 bytes of any string (a lone surrogate becomes U+FFFD's bytes,
 * where encodeURIComponent would throw).
 */
function percentEncode(s: string): string {
  return [...Buffer.from(s, 'utf8')]
    .map((b) =>
      /[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b))
        ? String.fromCharCode(b)
        : `%${b.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');
}

/** Builds the request of a recipe now (fresh ids, timestamps and signatures). */
export function materialize(recipe: FuzzRecipe, ctx: FuzzContext): FuzzRequest {
  const endpoint = ENDPOINTS[recipe.endpoint];
  const base = endpoint.service === 'discovery' ? ctx.discoveryUrl : ctx.adapterUrl;
  let path = endpoint.path;
  if (path.includes('{}')) {
    const valid = endpoint.params?.(ctx) ?? ['x'];
    const value =
      'valid' in recipe.param
        ? percentEncode(valid[recipe.param.valid % valid.length])
        : percentEncode(recipe.param.hostile);
    path = path.replace('{}', value);
  }
  if (recipe.query !== undefined) {
    path += `${path.includes('?') ? '&' : '?'}q=${percentEncode(recipe.query)}`;
  }
  const request: FuzzRequest = {
    endpoint: recipe.endpoint,
    service: endpoint.service,
    method: endpoint.method,
    url: base + path,
    oversize: false,
    mutation: recipe.mutation.kind,
  };
  const m = recipe.mutation;
  const key = endpoint.signedBy?.(ctx);
  const template = endpoint.body?.(ctx);
  const valid = template && key ? trySign(template, key) : template;
  const text = toJsonText;
  switch (m.kind) {
    case 'valid':
      if (valid) request.body = text(valid);
      break;
    case 'replace':
    case 'delete': {
      const body = structuredClone(valid as Json);
      const all = paths(body);
      const target = all[m.pick % all.length];
      setPath(body, target, m.kind === 'replace' ? m.value : undefined, m.kind === 'delete');
      if (m.resign && key) {
        // A valid signature over the hostile value, the enclosed announcement's too.
        if (target[0] === 'announcements' && typeof target[1] === 'number') {
          const list = body['announcements'] as unknown[];
          if (typeof list[target[1]] === 'object' && list[target[1]] !== null) {
            list[target[1]] = trySign(list[target[1]] as Json, key);
          }
        }
        request.body = text(trySign(body, key));
      } else {
        request.body = text(body);
      }
      break;
    }
    case 'add': {
      const body = { ...(valid as Json) };
      Object.defineProperty(body, m.name, { value: m.value, enumerable: true });
      request.body = text(m.resign && key ? trySign(body, key) : body);
      break;
    }
    case 'duplicate': {
      const names = Object.keys(valid as Json);
      request.body = withDuplicate(text(valid), names[m.pick % names.length], m.value, m.first);
      break;
    }
    case 'truncate': {
      const full = text(valid);
      request.body = full.slice(0, Math.floor(full.length * m.fraction));
      break;
    }
    case 'raw':
      request.body = m.text;
      break;
    case 'root':
      request.body = text(m.value);
      break;
    case 'oversize': {
      const body = { ...(valid as Json), padding: 'x'.repeat(endpoint.limit + 1024) };
      request.body = text(body);
      break;
    }
    case 'content_type':
      request.body = text(valid);
      request.contentType = m.contentType;
      break;
  }
  if (endpoint.method === 'GET') delete request.body; // fetch sends no body with GET
  if (request.body !== undefined) {
    request.oversize = Buffer.byteLength(request.body, 'utf8') > endpoint.limit;
    if (request.contentType === undefined) request.contentType = 'application/json';
  }
  return request;
}
