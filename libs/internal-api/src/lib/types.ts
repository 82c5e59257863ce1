/**
 * Request and response shapes of the two services' internal APIs (SERVICES.md: "Discovery
 * daemon", "Federation adapter", "Destinations"), as they travel on the wire (snake_case
 * JSON). One place for them: the adapter's discovery client, `fedctl`, the status page and
 * the end-to-end tests read these instead of re-declaring them.
 *
 * Times are ISO-8601 strings as the services send them; scores are 0 to 100.
 */
import type { Announcement, PeerFile } from '@pager/protocol';

export type { Announcement, PeerFile };

/** Every error body of both services (SERVICES.md, Common; PROTOCOL.md section 6). */
export interface ApiErrorBody {
  error: string;
  message: string;
}

/** `GET /health/ready` of either service. */
export interface ReadinessAnswer {
  status: 'ok' | 'unavailable' | string;
  checks?: Record<string, boolean>;
}

// ---------------------------------------------------------------- discovery daemon

export interface PeerEndpoints {
  discovery?: string;
  federation?: string;
}

/** One entry of `GET /api/v1/peers`. */
export interface Peer {
  server_id: string;
  endpoints: PeerEndpoints;
  fingerprint: string;
  capabilities: unknown;
  /** Timestamp of the announcement we hold. */
  timestamp: string;
  neighbor: boolean;
  blocked: boolean;
  score: number;
  /** Only in `pin: 'pending'` listings: the key awaits confirmations (PIN_CONFIRMATIONS > 1). */
  pin?: 'pending';
}

/** `GET /api/v1/peers` (`next_cursor` once the daemon pages the list with `limit`/`cursor`). */
export interface PeersAnswer {
  peers: Peer[];
  next_cursor?: string | null;
}

export interface PeersQuery {
  limit?: number;
  cursor?: string;
  /** `pinned` (default): stored peers; `pending`: servers whose key awaits confirmations. */
  pin?: 'pinned' | 'pending';
}

/** `POST /api/v1/route/{domain}`. */
export interface RouteAnswer {
  domain: string;
  server_id: string;
  endpoints: PeerEndpoints;
  public_key: string;
  fingerprint: string;
  source: 'self' | 'cache' | 'query';
  /**
   * The key the pin last moved away from and when (ISO-8601), once a rotation moved it
   * (docs/protocol.md §14). By default the adapter refuses messages and acks still signed
   * with it (key_mismatch, as the protocol says); only an operator opt-in,
   * KEY_ROTATION_GRACE_MS > 0, accepts them for that long after `rotated_at`.
   */
  previous_key?: { public_key: string; fingerprint: string; rotated_at: string };
}

/** `GET /api/v1/keys` of either service. */
export interface KeysAnswer {
  fingerprint: string;
  /** The key being rotated away from (PREVIOUS_KEY_PATH), null when none. */
  previous_fingerprint: string | null;
}

/** `POST /api/v1/keys/reload` of either service. */
export interface KeyReloadAnswer extends KeysAnswer {
  changed: boolean;
}

/** `POST /api/v1/reputation/report` body. */
export interface ReputationReportRequest {
  server_id: string;
  reason: string;
  details?: string;
}

/** `GET /api/v1/reputation/{server_id}`. */
export interface ReputationAnswer {
  server_id: string;
  score: number;
  /** Reports with any reason but `rate_limit_violation`. */
  reports: number;
  /** `rate_limit_violation` reports plus the violations of the daemon's own limits. */
  rate_limit_violations: number;
  key_conflicts: number;
  blocked: boolean;
  first_seen: string | null;
  last_seen: string | null;
}

/** A pinned key, in `GET /api/v1/pins`. */
export interface PinEntry {
  server_id: string;
  fingerprint: string;
  pinned_at: string;
  updated_at: string;
}

/** A server not pinned yet (careful first contact), in `GET /api/v1/pins`. */
export interface PendingPinEntry {
  server_id: string;
  /** `conflict`: paths brought different keys; no pin until the operator forgets it. */
  state: 'pending' | 'conflict';
  keys: { fingerprint: string; paths: string[] }[];
  first_seen: string;
  last_seen: string;
}

/** `GET /api/v1/pins`. */
export interface PinsAnswer {
  required_confirmations: number;
  pins: PinEntry[];
  pending: PendingPinEntry[];
}

/** One entry of the hash-chained pin history. */
export interface PinHistoryEntry {
  seq: number;
  server_id: string;
  event: 'pinned' | 'rotated' | 'conflict' | 'forgotten';
  fingerprint: string | null;
  previous_fingerprint: string | null;
  source: string;
  reason: string | null;
  at: string;
  prev_hash: string;
  hash: string;
}

/** `GET /api/v1/pins/{server_id}/history`. */
export interface PinHistoryAnswer {
  server_id: string;
  entries: PinHistoryEntry[];
  chain: {
    intact: boolean | null;
    length: number;
    broken_at: number | null;
    checked_at: string | null;
  };
}

/** One entry of `GET /api/v1/blocklist`. */
export interface BlockEntry {
  server_id: string;
  reason: string;
  created_at: string;
}

export interface BlocklistAnswer {
  blocked: BlockEntry[];
}

/** `PUT /api/v1/blocklist/{server_id}` body. */
export interface BlockRequest {
  reason: string;
}

/** `POST /api/v1/peers/import` (`errors` where the daemon explains its refusals). */
export interface PeerImportAnswer {
  accepted: number;
  rejected: number;
  errors?: unknown[];
}

// ---------------------------------------------------------------- federation adapter

/** `POST /api/v1/users` body. */
export interface RegisterUserRequest {
  user_id: string;
  username: string;
}

export interface UserAnswer {
  user_id: string;
  username: string;
  address: string;
}

/** `POST /api/v1/users/{user_id}/contacts` body. */
export interface ContactRequest {
  name: string;
  email?: string;
  phone?: string;
  pager_address: string;
}

export interface ContactAnswer {
  id: string;
  name: string;
  email: string | null;
  phone: string | null;
  pager_address: string;
  created_at?: string;
}

export type MessageStatus = 'queued' | 'sending' | 'delivered' | 'rejected' | 'failed';

/** `POST /api/v1/messages` body (`priority` defaults to 1). */
export interface SendMessageRequest {
  sender_user_id: string;
  to: string;
  content: string;
  priority?: number;
}

/** `201` (local, delivered) or `202` (federated, queued). */
export interface SendMessageAnswer {
  message_id: string;
  status: MessageStatus;
  from: string;
  to: string;
  created_at: string;
}

/** One delivery attempt of a page (SERVICES.md, Destinations). */
export interface DeliveryAttempt {
  attempt?: number;
  started_at: string;
  duration_ms: number;
  http_status: number | null;
  error: string | null;
  outcome: string;
  probe?: boolean;
}

/** `GET /api/v1/messages/{message_id}`. */
export interface MessageStateAnswer {
  message_id: string;
  status: MessageStatus;
  attempts: number;
  last_error: string | null;
  created_at: string;
  delivered_at: string | null;
  /** The requests that left for this page, oldest first (at most 100). */
  attempt_history?: DeliveryAttempt[];
}

/** One entry of `GET /api/v1/users/{user_id}/messages`. */
export interface BoxMessage {
  message_id: string;
  from: string;
  to: string;
  content: string;
  priority: number;
  status: MessageStatus;
  created_at: string;
  delivered_at: string | null;
}

export interface BoxAnswer {
  messages: BoxMessage[];
}

export interface BoxQuery {
  box: 'inbox' | 'sent';
  limit?: number;
  before?: string;
}

// ---------------------------------------------------------------- destinations

export const DESTINATION_STATES = ['healthy', 'backing_off', 'unreachable', 'stopped'] as const;

/** SERVICES.md, Destinations: the delivery state of one remote server. */
export type DestinationState = (typeof DESTINATION_STATES)[number];

/** One entry of `GET /api/v1/destinations`, and `GET /api/v1/destinations/{server_id}`. */
export interface Destination {
  server_id: string;
  state: DestinationState;
  reason: string | null;
  since: string;
  last_success_at: string | null;
  last_error: string | null;
  next_attempt_at: string | null;
  pages_waiting: number;
  pages_in_flight: number;
  /** Failed attempts in a row (the adapter's addition to the contract's fields). */
  consecutive_failures?: number;
}

export interface DestinationsAnswer {
  destinations: Destination[];
}

/** `PUT /api/v1/destinations/{server_id}/delivery` body. */
export type DeliveryChangeRequest = { state: 'stopped'; reason: string } | { state: 'active' };

export function isDestinationState(value: string): value is DestinationState {
  return (DESTINATION_STATES as readonly string[]).includes(value);
}
