import { Inject, Injectable } from '@nestjs/common';
import { ProtocolError } from '@pager/protocol';
import { DataSource } from 'typeorm';
import { PinRecord } from './pin.entity';

export interface Pin {
  serverId: string;
  fingerprint: string;
  publicKey: string;
  /** The key the last rotation moved the pin away from, and when (null before any rotation). */
  previous?: { fingerprint: string; publicKey: string; rotatedAtMs: number } | null;
}

/**
 * Trust on first use (docs/protocol.md §6). The conditional writes make the first pin and
 * each rotation atomic across replicas: two different keys racing for a new server_id
 * cannot both win.
 */
@Injectable()
export class PinStore {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  async get(serverId: string): Promise<Pin | null> {
    const row = await this.dataSource.getRepository(PinRecord).findOneBy({ serverId });
    return row === null
      ? null
      : {
          serverId: row.serverId,
          fingerprint: row.fingerprint,
          publicKey: row.publicKey,
          previous:
            row.previousFingerprint !== null &&
            row.previousPublicKey !== null &&
            row.rotatedAt !== null
              ? {
                  fingerprint: row.previousFingerprint,
                  publicKey: row.previousPublicKey,
                  rotatedAtMs: row.rotatedAt.getTime(),
                }
              : null,
        };
  }

  /** Pins `fingerprint` unless a pin exists; true when the pin now holds this fingerprint. */
  async pinIfAbsent(serverId: string, fingerprint: string, publicKey: string): Promise<boolean> {
    await this.dataSource.query(
      `INSERT INTO pins (server_id, fingerprint, public_key, pinned_at, updated_at)
       VALUES ($1, $2, $3, now(), now()) ON CONFLICT (server_id) DO NOTHING`,
      [serverId, fingerprint, publicKey],
    );
    return (await this.get(serverId))?.fingerprint === fingerprint;
  }

  /**
   * Moves the pin from `fromFingerprint` to the new key, keeping the key it moves away from
   * (and when) for the rotation grace; false if the pin moved meanwhile.
   */
  async rotate(
    serverId: string,
    fromFingerprint: string,
    toFingerprint: string,
    publicKey: string,
  ): Promise<boolean> {
    const result: [unknown[], number] = await this.dataSource.query(
      `UPDATE pins SET fingerprint = $3, public_key = $4, updated_at = now(),
         previous_fingerprint = fingerprint, previous_public_key = public_key, rotated_at = now()
       WHERE server_id = $1 AND fingerprint = $2`,
      [serverId, fromFingerprint, toFingerprint, publicKey],
    );
    return result[1] === 1;
  }

  async forget(serverId: string): Promise<void> {
    const result: [unknown[], number] = await this.dataSource.query(
      'DELETE FROM pins WHERE server_id = $1',
      [serverId],
    );
    if (result[1] === 0) throw new ProtocolError('not_found', `no key is pinned for ${serverId}`);
  }
}
