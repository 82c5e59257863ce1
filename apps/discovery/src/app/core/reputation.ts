/**
 * The reputation score of a server (`GET /api/v1/reputation/{server_id}`): 100 for a clean
 * record, 0 for a blocked server. The weights are ours, the spec leaves them open:
 *
 * | signal | weight | why |
 * |---|---|---|
 * | operator report | -5 each | a human judged it; several reports should matter |
 * | rate-limit violation | -2 each | often a misconfigured peer, not malice; reported ones (`counterForReport`) and this daemon's own |
 * | key conflict | -20 each | an announcement signed by another key: impersonation attempt or lost key |
 * | invalid announcements | -1 per full 10 | one-offs (clock skew) are noise; a stream is not |
 */

export interface ReputationInput {
  reports: number;
  rateLimitViolations: number;
  keyConflicts: number;
  invalidAnnouncements: number;
  blocked: boolean;
}

export const REPUTATION_WEIGHTS = {
  perReport: 5,
  perRateLimitViolation: 2,
  perKeyConflict: 20,
  perTenInvalidAnnouncements: 1,
} as const;

/**
 * The reason of a report that says the server went over a rate limit (PROTOCOL.md §7): our
 * adapter sends it each time a sender goes over its message limit (one per violation, not
 * per refused request).
 */
export const RATE_LIMIT_VIOLATION_REASON = 'rate_limit_violation';

/**
 * Which reputation counter a report (`POST /api/v1/reputation/report`) adds one to:
 * `rate_limit_violations` for the reason `rate_limit_violation` (-2 each: often a
 * misconfigured peer), `reports` for any other (-5 each: someone judged it). The reason is
 * compared exactly (reasons match `[a-z0-9_.-]{1,64}`).
 */
export function counterForReport(reason: string): 'reports' | 'rate_limit_violations' {
  return reason === RATE_LIMIT_VIOLATION_REASON ? 'rate_limit_violations' : 'reports';
}

/** Counts that are negative, fractional or not numbers count as 0 or their whole part. */
function count(n: number): number {
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
}

/** An integer from 0 to 100. */
export function computeScore(input: ReputationInput): number {
  if (input.blocked) return 0;
  const w = REPUTATION_WEIGHTS;
  const penalty =
    count(input.reports) * w.perReport +
    count(input.rateLimitViolations) * w.perRateLimitViolation +
    count(input.keyConflicts) * w.perKeyConflict +
    Math.floor(count(input.invalidAnnouncements) / 10) * w.perTenInvalidAnnouncements;
  return Math.max(0, 100 - penalty);
}
