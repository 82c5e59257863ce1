import { Inject, Injectable } from '@nestjs/common';
import { ProtocolError } from '@pager/protocol';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import {
  UUID_RE,
  asciiLower,
  isValidUserId,
  normalizePagerAddress,
  optionalString,
  requireBody,
  requireString,
} from '../common/input-rules';
import { Batcher } from '../common/batcher';
import type { AdapterConfig } from '../config/adapter-config';
import { ADAPTER_CONFIG } from '../config/adapter-config.module';
import { UserRow, UsersService } from '../users/users.service';
import type { ContactRef } from '../messages/recipient-resolution';

export interface ContactView {
  id: string;
  name: string;
  email: string | null;
  phone: string | null;
  pager_address: string;
  created_at: string;
}

interface ContactRow {
  id: string;
  name: string;
  email: string | null;
  phone: string | null;
  pager_address: string;
  created_at: Date;
}

const EMAIL_RE = /^[^\s@\p{Cc}]+@[^\s@\p{Cc}]+\.[^\s@\p{Cc}]+$/u;
const PHONE_RE = /^[+0-9 ()-]+$/;

/** A user's address book; every query is scoped to the owning user. */
@Injectable()
export class ContactsService {
  constructor(
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(UsersService) private readonly users: UsersService,
    @Inject(ADAPTER_CONFIG) private readonly config: AdapterConfig,
  ) {}

  async create(userId: string, body: unknown): Promise<ContactView> {
    await this.users.requireUser(userId);
    const b = requireBody(body);
    const name = requireString(b, 'name', { min: 1, max: 100, trim: true, noControl: true });
    const email = optionalString(b, 'email', {
      max: 254,
      pattern: EMAIL_RE,
      what: 'an email address',
    });
    const phone = optionalString(b, 'phone', {
      max: 32,
      pattern: PHONE_RE,
      what: 'digits, spaces, +, (, ), -',
    });
    if (normalizePagerAddress(b.pager_address, this.config.serverId) === null) {
      throw new ProtocolError('invalid_address', 'pager_address must be user or user@server');
    }
    // Kept as written (a bare username stays local wherever the book is read), lowercased.
    const pagerAddress = asciiLower(b.pager_address as string);
    const rows: ContactRow[] = await this.db.query(
      `INSERT INTO contacts (id, user_id, name, email, phone, pager_address) VALUES ($1, $2, $3, $4, $5, $6)
       RETURNING id, name, email, phone, pager_address, created_at`,
      [randomUUID(), userId, name, email, phone, pagerAddress],
    );
    return view(rows[0]);
  }

  async list(userId: string): Promise<{ contacts: ContactView[] }> {
    await this.users.requireUser(userId);
    return { contacts: (await this.rows(userId)).map(view) };
  }

  async remove(userId: string, id: string): Promise<void> {
    await this.users.requireUser(userId);
    if (!UUID_RE.test(id)) throw new ProtocolError('not_found', 'no such contact');
    const [, affected] = (await this.db.query(
      'DELETE FROM contacts WHERE id = $1 AND user_id = $2',
      [id, userId],
    )) as [unknown, number];
    if (!affected) throw new ProtocolError('not_found', 'no such contact');
  }

  /** Names and addresses for resolving `to`, oldest first. */
  async refsOf(userId: string): Promise<ContactRef[]> {
    return (await this.rows(userId)).map((r) => ({ name: r.name, pagerAddress: r.pager_address }));
  }

  /**
   * `requireUser` and `refsOf` in one statement (the send path): the user, or 404
   * not_found, with the names and addresses of its contacts, oldest first.
   */
  async userWithRefs(userId: string): Promise<{ user: UserRow; refs: ContactRef[] }> {
    if (!isValidUserId(userId)) throw new ProtocolError('not_found', 'no such user');
    const found = await this.senders.submit(userId);
    if (!found) throw new ProtocolError('not_found', 'no such user');
    return found;
  }

  /** Senders looked up at the same time are read by one statement. */
  private readonly senders = new Batcher<string, { user: UserRow; refs: ContactRef[] } | undefined>(
    (userIds) => this.usersWithRefs(userIds),
    { maxBatch: 256, maxRunning: 2 },
  );

  private async usersWithRefs(
    userIds: string[],
  ): Promise<({ user: UserRow; refs: ContactRef[] } | undefined)[]> {
    const rows: (UserRow & { name: string | null; pager_address: string | null })[] =
      await this.db.query(
        `SELECT u.user_id, u.username, u.accept_policy, c.name, c.pager_address
       FROM users u LEFT JOIN contacts c ON c.user_id = u.user_id
       WHERE u.user_id = ANY($1::text[]) ORDER BY u.user_id, c.created_at, c.id`,
        [[...new Set(userIds)]],
      );
    const byId = new Map<string, { user: UserRow; refs: ContactRef[] }>();
    for (const r of rows) {
      let found = byId.get(r.user_id);
      if (!found) {
        found = {
          user: { user_id: r.user_id, username: r.username, accept_policy: r.accept_policy },
          refs: [],
        };
        byId.set(r.user_id, found);
      }
      if (r.name !== null && r.pager_address !== null)
        found.refs.push({ name: r.name, pagerAddress: r.pager_address });
    }
    // Each caller gets its own copy: a caller may not see another's changes to the refs.
    return userIds.map((id) => {
      const found = byId.get(id);
      return found && { user: { ...found.user }, refs: [...found.refs] };
    });
  }

  private rows(userId: string): Promise<ContactRow[]> {
    return this.db.query(
      'SELECT id, name, email, phone, pager_address, created_at FROM contacts WHERE user_id = $1 ORDER BY created_at, id',
      [userId],
    );
  }
}

function view(row: ContactRow): ContactView {
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    phone: row.phone,
    pager_address: row.pager_address,
    created_at: row.created_at.toISOString(),
  };
}
