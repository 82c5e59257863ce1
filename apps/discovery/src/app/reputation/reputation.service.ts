import { Inject, Injectable } from '@nestjs/common';
import { ProtocolError, validateWire } from '@pager/protocol';
import { RateLimitStore } from '@pager/server-kit';
import { DataSource } from 'typeorm';
import { computeScore, counterForReport } from '../core';
import { rateLimitPrefix } from '../common/rate-limit-keys';
import { requireServerId, requireValid } from '../common/server-id-param';
import { ReputationReportDto } from './reputation.dto';
import { ReputationRecord } from './reputation.entity';

export interface ReputationView {
  server_id: string;
  score: number;
  /** Reports with any reason but `rate_limit_violation` (operators, tools). */
  reports: number;
  /**
   * Reports with the reason `rate_limit_violation` (`reputation.rate_limit_violations`) plus
   * the violations of this daemon's own limits (`rate_limits`).
   */
  rate_limit_violations: number;
  key_conflicts: number;
  blocked: boolean;
  first_seen: string;
  last_seen: string;
}

type Counter = 'reports' | 'rate_limit_violations' | 'key_conflicts' | 'invalid_announcements';

/** What this daemon has observed about each server, and the score computed from it. */
@Injectable()
export class ReputationService {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(RateLimitStore) private readonly rateLimits: RateLimitStore,
  ) {}

  /** Marks a server as seen (a valid announcement or envelope from it). */
  async touch(serverId: string): Promise<void> {
    await this.bump(serverId, null);
  }

  async recordKeyConflict(serverId: string): Promise<void> {
    await this.bump(serverId, 'key_conflicts');
  }

  async recordInvalidAnnouncement(senderId: string): Promise<void> {
    await this.bump(senderId, 'invalid_announcements');
  }

  /** `POST /api/v1/reputation/report`: validates `{ server_id, reason, details? }` and records it. */
  async reportFromBody(body: unknown): Promise<{ server_id: string; reason: string }> {
    const report = requireValid(validateWire(ReputationReportDto, body));
    await this.report(requireServerId(report.server_id), report.reason, report.details);
    return { server_id: report.server_id, reason: report.reason };
  }

  /**
   * Keeps the report in `reputation_reports` and adds one to the counter its reason names
   * (`counterForReport`: `rate_limit_violation` to `rate_limit_violations`, others to
   * `reports`), in one transaction.
   */
  async report(serverId: string, reason: string, details: string | undefined): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await manager.query(
        `INSERT INTO reputation_reports (server_id, reason, details, created_at)
         VALUES ($1, $2, $3, now())`,
        [serverId, reason, details ?? null],
      );
      await manager.query(upsertSql(counterForReport(reason)), [serverId]);
    });
  }

  async get(serverId: string): Promise<ReputationView> {
    const [row, blockedRows, peerRows] = await Promise.all([
      this.dataSource.getRepository(ReputationRecord).findOneBy({ serverId }),
      this.dataSource.query('SELECT created_at FROM blocklist WHERE server_id = $1', [serverId]),
      this.dataSource.query('SELECT received_at, last_seen FROM peers WHERE server_id = $1', [
        serverId,
      ]) as Promise<{ received_at: Date; last_seen: Date }[]>,
    ]);
    const blocked = (blockedRows as unknown[]).length > 0;
    if (row === null && !blocked && peerRows.length === 0) {
      throw new ProtocolError('not_found', `nothing is known about ${serverId}`);
    }
    // Reported violations (our adapter's limits) and this daemon's own limits, together.
    const violations =
      (row?.rateLimitViolations ?? 0) +
      (await this.rateLimits.violations(rateLimitPrefix(serverId)));
    const reports = row?.reports ?? 0;
    const keyConflicts = row?.keyConflicts ?? 0;
    const now = new Date();
    const firstSeen = row?.firstSeen ?? peerRows[0]?.received_at ?? now;
    const lastSeen = row?.lastSeen ?? peerRows[0]?.last_seen ?? now;
    return {
      server_id: serverId,
      score: computeScore({
        reports,
        rateLimitViolations: violations,
        keyConflicts,
        invalidAnnouncements: row?.invalidAnnouncements ?? 0,
        blocked,
      }),
      reports,
      rate_limit_violations: violations,
      key_conflicts: keyConflicts,
      blocked,
      first_seen: firstSeen.toISOString(),
      last_seen: lastSeen.toISOString(),
    };
  }

  /** Scores of many servers at once (GET /api/v1/peers); blocked ones are 0. */
  async scores(blocked: ReadonlySet<string>): Promise<Map<string, number>> {
    const rows: {
      server_id: string;
      reports: number;
      rate_limit_violations: number;
      key_conflicts: number;
      invalid_announcements: number;
    }[] = await this.dataSource.query(
      `SELECT server_id, reports, rate_limit_violations, key_conflicts, invalid_announcements
       FROM reputation`,
    );
    const violations: { server_id: string; total: string }[] = await this.dataSource.query(
      `SELECT split_part(key, ':', 2) AS server_id, SUM(violations) AS total
       FROM rate_limits WHERE starts_with(key, 'srv:') GROUP BY 1`,
    );
    const violationsOf = new Map(violations.map((v) => [v.server_id, Number(v.total)]));
    const scores = new Map<string, number>();
    for (const row of rows) {
      scores.set(
        row.server_id,
        computeScore({
          reports: row.reports,
          keyConflicts: row.key_conflicts,
          invalidAnnouncements: row.invalid_announcements,
          rateLimitViolations: row.rate_limit_violations + (violationsOf.get(row.server_id) ?? 0),
          blocked: blocked.has(row.server_id),
        }),
      );
    }
    return scores;
  }

  private async bump(serverId: string, counter: Counter | null): Promise<void> {
    await this.dataSource.query(upsertSql(counter), [serverId]);
  }
}

function upsertSql(counter: Counter | null): string {
  const columns = counter === null ? '' : `, ${counter}`;
  const values = counter === null ? '' : ', 1';
  const update = counter === null ? '' : `, ${counter} = reputation.${counter} + 1`;
  return `INSERT INTO reputation (server_id, first_seen, last_seen${columns})
          VALUES ($1, now(), now()${values})
          ON CONFLICT (server_id) DO UPDATE SET last_seen = now()${update}`;
}
