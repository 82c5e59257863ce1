import { Inject, Injectable } from '@nestjs/common';
import { ProtocolError } from '@pager/protocol';
import { DataSource, EntityManager } from 'typeorm';
import {
  invalid,
  isValidUserId,
  normalizePagerAddress,
  normalizeUsername,
  requireBody,
} from '../common/input-rules';
import { Batcher } from '../common/batcher';
import type { AdapterConfig } from '../config/adapter-config';
import { ADAPTER_CONFIG } from '../config/adapter-config.module';
import type { AcceptPolicy, RecipientRules } from './recipient-acceptance';

export interface UserView {
  user_id: string;
  username: string;
  address: string;
}

export interface UserRow {
  user_id: string;
  username: string;
  accept_policy: AcceptPolicy;
  /** Set when the row was read together with its rules (`findByUsername(…, withRules)`). */
  rules?: RecipientRules;
}

interface UserRowWithRules extends UserRow {
  blocked_addresses: string[];
  contact_addresses: string[] | null;
}

/** Recipients looked up at the same time (inbound pages) are read by one statement. */
const MAX_LOOKUP_BATCH = 256;

/** Pager users of this server, their acceptance policy and blocked senders. */
@Injectable()
export class UsersService {
  constructor(
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(ADAPTER_CONFIG) private readonly config: AdapterConfig,
  ) {}

  private readonly recipients = new Batcher<string, UserRow | undefined>(
    (names) => this.recipientsNamed(names),
    {
      maxBatch: MAX_LOOKUP_BATCH,
      maxRunning: 2,
    },
  );

  async register(body: unknown): Promise<UserView> {
    const b = requireBody(body);
    if (!isValidUserId(b.user_id)) throw invalid('user_id: must be 1 to 64 of A-Za-z0-9_.:-');
    const username = normalizeUsername(b.username);
    if (username === null)
      throw new ProtocolError('invalid_username', 'username must be 3 to 20 of a-z, 0-9, _');
    const inserted: unknown[] = await this.db.query(
      `INSERT INTO users (user_id, username) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING user_id`,
      [b.user_id, username],
    );
    if (inserted.length === 0) {
      const existing: unknown[] = await this.db.query('SELECT 1 FROM users WHERE user_id = $1', [
        b.user_id,
      ]);
      if (existing.length > 0)
        throw new ProtocolError('user_already_registered', 'this user id already has a username');
      throw new ProtocolError('username_taken', 'this username is taken');
    }
    return this.view(b.user_id, username);
  }

  async getByUsername(raw: string): Promise<UserView> {
    const username = normalizeUsername(raw);
    const row = username === null ? undefined : await this.findByUsername(username);
    if (!row) throw new ProtocolError('not_found', 'no such user');
    return this.view(row.user_id, row.username);
  }

  /**
   * The user named `username`. With `withRules`, the same statement also reads what
   * `recipientRules` needs (blocks, and contacts under the contacts policy), so that judging
   * a page to the user costs one round trip instead of two or three.
   */
  async findByUsername(
    username: string,
    manager: EntityManager = this.db.manager,
    withRules = false,
  ): Promise<UserRow | undefined> {
    if (!withRules) {
      const rows: UserRow[] = await manager.query(
        'SELECT user_id, username, accept_policy FROM users WHERE username = $1',
        [username],
      );
      return rows[0];
    }
    if (manager === this.db.manager) return this.recipients.submit(username);
    return (await this.recipientsNamed([username], manager))[0];
  }

  private async recipientsNamed(
    usernames: string[],
    manager: EntityManager = this.db.manager,
  ): Promise<(UserRow | undefined)[]> {
    const rows: UserRowWithRules[] = await manager.query(
      `SELECT u.user_id, u.username, u.accept_policy,
         ARRAY(SELECT b.address FROM user_blocks b WHERE b.user_id = u.user_id) AS blocked_addresses,
         CASE WHEN u.accept_policy = 'contacts'
           THEN ARRAY(SELECT c.pager_address FROM contacts c WHERE c.user_id = u.user_id) END AS contact_addresses
       FROM users u WHERE u.username = ANY($1::text[])`,
      [[...new Set(usernames)]],
    );
    const byName = new Map(rows.map((row) => [row.username, row]));
    return usernames.map((username) => {
      const row = byName.get(username);
      if (!row) return undefined;
      return {
        user_id: row.user_id,
        username: row.username,
        accept_policy: row.accept_policy,
        rules: this.rulesOf(row.accept_policy, row.blocked_addresses, row.contact_addresses ?? []),
      };
    });
  }

  /** The user, or 404 not_found (also for ids that could never exist). */
  async requireUser(userId: string, manager: EntityManager = this.db.manager): Promise<UserRow> {
    if (!isValidUserId(userId)) throw new ProtocolError('not_found', 'no such user');
    const rows: UserRow[] = await manager.query(
      'SELECT user_id, username, accept_policy FROM users WHERE user_id = $1',
      [userId],
    );
    if (rows.length === 0) throw new ProtocolError('not_found', 'no such user');
    return rows[0];
  }

  async setPolicy(
    userId: string,
    body: unknown,
  ): Promise<{ user_id: string; accept: AcceptPolicy }> {
    const b = requireBody(body);
    if (b.accept !== 'anyone' && b.accept !== 'contacts')
      throw invalid('accept: must be "anyone" or "contacts"');
    await this.requireUser(userId);
    await this.db.query('UPDATE users SET accept_policy = $2 WHERE user_id = $1', [
      userId,
      b.accept,
    ]);
    return { user_id: userId, accept: b.accept };
  }

  async block(userId: string, body: unknown): Promise<{ user_id: string; address: string }> {
    const b = requireBody(body);
    await this.requireUser(userId);
    const address = normalizePagerAddress(b.address, this.config.serverId);
    if (address === null)
      throw new ProtocolError('invalid_address', 'address must be user or user@server');
    await this.db.query(
      'INSERT INTO user_blocks (user_id, address) VALUES ($1, $2) ON CONFLICT DO NOTHING',
      [userId, address],
    );
    return { user_id: userId, address };
  }

  /** Idempotent: unblocking an address that is not blocked is no error. */
  async unblock(userId: string, rawAddress: string): Promise<void> {
    await this.requireUser(userId);
    const address = normalizePagerAddress(rawAddress, this.config.serverId);
    if (address === null)
      throw new ProtocolError('invalid_address', 'address must be user or user@server');
    await this.db.query('DELETE FROM user_blocks WHERE user_id = $1 AND address = $2', [
      userId,
      address,
    ]);
  }

  /** What `refusalReason` needs to judge a page to `user`. */
  async recipientRules(
    user: UserRow,
    manager: EntityManager = this.db.manager,
  ): Promise<RecipientRules> {
    if (user.rules) return user.rules;
    const blocks: { address: string }[] = await manager.query(
      'SELECT address FROM user_blocks WHERE user_id = $1',
      [user.user_id],
    );
    let contacts: { pager_address: string }[] = [];
    if (user.accept_policy === 'contacts') {
      contacts = await manager.query('SELECT pager_address FROM contacts WHERE user_id = $1', [
        user.user_id,
      ]);
    }
    return this.rulesOf(
      user.accept_policy,
      blocks.map((b) => b.address),
      contacts.map((c) => c.pager_address),
    );
  }

  private rulesOf(
    acceptPolicy: AcceptPolicy,
    blockedAddresses: string[],
    contactPagerAddresses: string[],
  ): RecipientRules {
    const contactAddresses =
      acceptPolicy === 'contacts'
        ? contactPagerAddresses
            .map((a) => normalizePagerAddress(a, this.config.serverId))
            .filter((a): a is string => a !== null)
        : [];
    return { acceptPolicy, blockedAddresses, contactAddresses };
  }

  addressOf(username: string): string {
    return `${username}@${this.config.serverId}`;
  }

  private view(userId: string, username: string): UserView {
    return { user_id: userId, username, address: this.addressOf(username) };
  }
}
