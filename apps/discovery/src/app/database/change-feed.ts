import {
  Inject,
  Injectable,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  Optional,
} from '@nestjs/common';
import { JsonLogger } from '@pager/server-kit';
import { DataSource, QueryRunner } from 'typeorm';
import { DISCOVERY_CONFIG, DiscoveryConfig } from '../config/discovery-config';
import { ChangeGenerations, WatchedTable, watchedTableOf } from './change-generations';
import { releaseBroken } from './release-broken';

/** The channel the `ChangeNotify` migration's triggers notify on. */
export const CHANGE_CHANNEL = 'pager_discovery_changes';
/** Wait before listening again after the listen connection failed (ms). */
export const RELISTEN_DELAY_MS = 1_000;

/** One listen connection; `over` once lost or dropped (its late events are ignored). */
interface Session {
  runner: QueryRunner;
  over: boolean;
}

/** What `ChangeFeed` needs of a `pg` client (the connection under a TypeORM query runner). */
interface NotifyingClient {
  on(
    event: 'notification',
    listener: (message: { channel: string; payload?: string }) => void,
  ): void;
  on(event: 'error' | 'end', listener: (err?: Error) => void): void;
  removeAllListeners(event: string): void;
}

/**
 * Hears which of `peers` (its table version), `blocklist` and `pins` changed, on any
 * replica, without a statement per read: one pooled connection of its own runs
 * `LISTEN pager_discovery_changes`, the triggers of the `ChangeNotify` migration notify at
 * the writer's commit with `<schema>.<table>`. Readers cache against
 * `generation(table)` (`ChangeGenerations`): the table version (`PeerTableCache`), the
 * blocklist (`BlocklistService`), the pins (`PinStore`).
 *
 * Off (never live) with DATABASE_CHANGE_NOTIFY=false, for transaction-pooling PgBouncer.
 * While the connection is down (not yet up, lost, PostgreSQL restarting) `generation` is
 * null and every reader reads PostgreSQL as without the feed; the connection is retried
 * every `RELISTEN_DELAY_MS`, and going down or up moves every generation on (whatever
 * changed meanwhile was not heard). This process's own writes are announced by their
 * owner (`changed`) as soon as they have committed, so it never waits for its own NOTIFY.
 * What remains is the delivery time of another replica's NOTIFY (one round trip from
 * PostgreSQL, well under a millisecond on a healthy link): a request that reads within it
 * sees the state before that commit, as a request that read PostgreSQL just before it would.
 */
@Injectable()
export class ChangeFeed implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly generations = new ChangeGenerations();
  private current: Session | null = null;
  private retry: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(DISCOVERY_CONFIG)
    private readonly config: Pick<DiscoveryConfig, 'databaseSchema' | 'changeNotify'>,
    @Optional() @Inject(JsonLogger) private readonly logger?: JsonLogger,
  ) {}

  /** The table's generation, or null while not listening (then read PostgreSQL). */
  generation(table: WatchedTable): number | null {
    return this.generations.current(table);
  }

  /** This process changed `table` (called by its owner once the write has committed). */
  changed(table: WatchedTable): void {
    this.generations.changed(table);
  }

  isLive(): boolean {
    return this.generations.isLive();
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.changeNotify) await this.listen();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    await this.drop();
  }

  /** Connects and LISTENs; on failure, tries again after `RELISTEN_DELAY_MS`. Never throws. */
  async listen(): Promise<void> {
    if (this.stopped || this.current !== null) return;
    const session: Session = { runner: this.dataSource.createQueryRunner(), over: false };
    this.current = session;
    try {
      await session.runner.connect();
      const client = (session.runner as unknown as { databaseConnection: NotifyingClient })
        .databaseConnection;
      client.on('notification', (message) => {
        if (session.over || message.channel !== CHANGE_CHANNEL) return;
        const table = watchedTableOf(message.payload, this.config.databaseSchema);
        if (table !== null) this.generations.changed(table);
      });
      const lost = (err?: Error) => void this.lose(session, err ?? new Error('connection ended'));
      client.on('error', lost);
      client.on('end', lost);
      await session.runner.query(`LISTEN ${CHANGE_CHANNEL}`);
      if (session.over) return; // lost or stopped meanwhile
      this.generations.setLive(true);
      this.logger?.event('discovery.change_feed', { listening: true }, 'debug');
    } catch (err) {
      await this.lose(session, err as Error);
    }
  }

  private async lose(session: Session, err: Error): Promise<void> {
    if (session.over) return;
    session.over = true;
    this.current = null;
    const wasLive = this.generations.isLive();
    if (wasLive) this.generations.setLive(false);
    await releaseBroken(session.runner, err);
    if (this.stopped) return;
    if (wasLive) {
      this.logger?.event('discovery.change_feed', { listening: false, error: err.message }, 'warn');
    }
    clearTimeout(this.retry);
    this.retry = setTimeout(() => void this.listen(), RELISTEN_DELAY_MS);
    this.retry.unref();
  }

  private async drop(): Promise<void> {
    const session = this.current;
    this.current = null;
    if (this.generations.isLive()) this.generations.setLive(false);
    if (session === null || session.over) return;
    session.over = true;
    try {
      await session.runner.query(`UNLISTEN ${CHANGE_CHANNEL}`);
      await session.runner.release();
    } catch (err) {
      await releaseBroken(session.runner, err as Error);
    }
  }
}
