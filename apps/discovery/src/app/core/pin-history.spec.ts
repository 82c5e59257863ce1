import { canonicalize } from '@pager/protocol';
import { createHash } from 'node:crypto';
import {
  PIN_HISTORY_GENESIS,
  PinHistoryEntry,
  PinHistoryFields,
  chainEntry,
  pinHistoryHash,
  verifyChain,
} from './pin-history';

const fields = (serverId: string, event: PinHistoryFields['event']): PinHistoryFields => ({
  server_id: serverId,
  event,
  fingerprint: 'A'.repeat(64),
  previous_fingerprint: null,
  source: 'direct',
  reason: null,
  at: '2025-10-15T10:30:00.000Z',
});

function chainOf(n: number): PinHistoryEntry[] {
  const entries: PinHistoryEntry[] = [];
  for (let i = 0; i < n; i++) {
    entries.push(chainEntry(entries.at(-1) ?? null, fields(`s${i}.example`, 'pinned')));
  }
  return entries;
}

describe('chainEntry', () => {
  it('starts at seq 1 with the genesis prev_hash', () => {
    const sut = chainEntry(null, fields('a.example', 'pinned'));
    expect([sut.seq, sut.prev_hash]).toEqual([1, PIN_HISTORY_GENESIS]);
  });

  it('links each entry to the hash of the one before', () => {
    const [first, second] = chainOf(2);
    expect([second.seq, second.prev_hash]).toEqual([2, first.hash]);
  });

  it('hashes the RFC 8785 canonical form of the entry with prev_hash, without hash', () => {
    const sut = chainEntry(null, fields('a.example', 'forgotten'));
    const { hash: _own, ...covered } = sut;
    const expected = createHash('sha256').update(canonicalize(covered)).digest('hex');
    expect(sut.hash).toBe(expected);
    expect(pinHistoryHash(sut)).toBe(expected);
  });
});

describe('verifyChain', () => {
  it('accepts an unbroken chain and an empty one', () => {
    expect(verifyChain(chainOf(5))).toMatchObject({ ok: true, length: 5 });
    expect(verifyChain([])).toEqual({ ok: true, head: null, length: 0 });
  });

  it('continues from the head of the previous page', () => {
    const entries = chainOf(6);
    const first = verifyChain(entries.slice(0, 3));
    expect(first.ok).toBe(true);
    const head = first.ok ? first.head : null;
    expect(verifyChain(entries.slice(3), head)).toMatchObject({ ok: true, length: 6 });
  });

  it('detects an edited field', () => {
    const entries = chainOf(4);
    entries[2] = { ...entries[2], fingerprint: 'B'.repeat(64) };
    expect(verifyChain(entries)).toMatchObject({ ok: false, brokenAt: 3, reason: 'hash' });
  });

  it('detects an edited entry whose hash was recomputed (the next link breaks)', () => {
    const entries = chainOf(4);
    const edited = { ...entries[1], event: 'conflict' as const };
    entries[1] = { ...edited, hash: pinHistoryHash(edited) };
    expect(verifyChain(entries)).toMatchObject({ ok: false, brokenAt: 3, reason: 'prev_hash' });
  });

  it('detects a removed entry', () => {
    const entries = chainOf(4);
    entries.splice(1, 1);
    expect(verifyChain(entries)).toMatchObject({ ok: false, brokenAt: 2, reason: 'seq' });
  });

  it('detects a removed first entry', () => {
    expect(verifyChain(chainOf(3).slice(1))).toMatchObject({ ok: false, brokenAt: 1 });
  });
});
