import { CommonConfig, Env, EnvReader, loadCommonConfig } from '@pager/server-kit';

export interface AdapterConfig extends CommonConfig {
  ackTimeoutMs: number;
  retryDelayMs: number;
  deliveryAttempts: number;
  rateLimitMessagesPerHour: number;
  pagerWebhookUrl: string | undefined;
  /** HMAC-SHA256 key of the webhook signature header (PAGER_WEBHOOK_SECRET or _FILE). */
  pagerWebhookSecret: string | undefined;
  /** How long a page waits for an unreachable destination without spending attempts. */
  holdMs: number;
  /** Consecutive failed attempts that open a destination's circuit breaker. */
  breakerThreshold: number;
  /** Time between probes of an unreachable destination. */
  probeIntervalMs: number;
  /** Pages of one destination in flight at once, over all replicas. */
  destinationMaxInFlight: number;
  /**
   * KEY_ROTATION_GRACE_MS (ms), default 0 (off): the protocol (docs/protocol.md §6) refuses a
   * message or ack whose key is not the pinned one (`key_mismatch`), the key a rotation just
   * moved the pin away from included. An operator may opt into accepting messages and acks
   * still signed with that key for this long after the move (docs/protocol.md §14), outside
   * the protocol: for that long a compromised old key still passes as the peer.
   */
  keyRotationGraceMs: number;
}

/** KEY_ROTATION_GRACE_MS when unset: no grace, the key a pin moved away from is refused. */
export const DEFAULT_KEY_ROTATION_GRACE_MS = 0;

export function loadAdapterConfig(env: Env = process.env): AdapterConfig {
  const common = loadCommonConfig('adapter', env);
  const read = new EnvReader(env);
  return {
    ...common,
    ackTimeoutMs: read.int('ACK_TIMEOUT_MS', 30_000, 100, 600_000),
    retryDelayMs: read.int('RETRY_DELAY_MS', 30_000, 0, 86_400_000),
    deliveryAttempts: read.int('DELIVERY_ATTEMPTS', 3, 1, 100),
    rateLimitMessagesPerHour: read.int('RATE_LIMIT_MESSAGES_PER_HOUR', 1000, 1, 10_000_000),
    holdMs: read.int('DELIVERY_HOLD_MS', 3_600_000, 0, 30 * 86_400_000),
    breakerThreshold: read.int('DELIVERY_BREAKER_THRESHOLD', 5, 1, 1000),
    probeIntervalMs: read.int('DELIVERY_PROBE_INTERVAL_MS', 60_000, 100, 86_400_000),
    destinationMaxInFlight: read.int('DELIVERY_DESTINATION_MAX_IN_FLIGHT', 32, 1, 128),
    keyRotationGraceMs: read.int(
      'KEY_ROTATION_GRACE_MS',
      DEFAULT_KEY_ROTATION_GRACE_MS,
      0,
      86_400_000,
    ),
    pagerWebhookSecret: read.secret('PAGER_WEBHOOK_SECRET'),
    pagerWebhookUrl:
      read.string('PAGER_WEBHOOK_URL') !== undefined
        ? read.url('PAGER_WEBHOOK_URL', '')
        : undefined,
  };
}
