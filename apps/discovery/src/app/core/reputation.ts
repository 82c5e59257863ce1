/**
 * The reputation score of a server (`GET /api/v1/reputation/{server_id}`): 100 for a clean
 * record, 0 for a blocked server. The weights are ours, the spec leaves them open:
 *
 * | signal | weight | why |
 * |---|---|---|
 * | operator report | -5 each | a human judged it; several reports should matter |
 * | rate-limit violation | -2 each | often a misconfigured peer, not malice |
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
