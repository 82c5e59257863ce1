import type { PinHistoryAnswer, PinsAnswer } from '@pager/internal-api';
import { pinRows, renderPinHistory } from './pins-view';

const A = 'A'.repeat(64);
const B = 'B'.repeat(64);

const history = (over: Partial<PinHistoryAnswer> = {}): PinHistoryAnswer => ({
  server_id: 'x.example',
  entries: [
    {
      seq: 1,
      server_id: 'x.example',
      event: 'pinned',
      fingerprint: A,
      previous_fingerprint: null,
      source: 'n1.example,n2.example',
      reason: null,
      at: '2025-10-15T10:30:00.000Z',
      prev_hash: '0'.repeat(64),
      hash: 'f'.repeat(64),
    },
  ],
  chain: { intact: true, length: 1, broken_at: null, checked_at: '2025-10-15T10:00:00.000Z' },
  ...over,
});

describe(pinRows.name, () => {
  it('lists pins and pending servers together in server_id order, conflicts with both keys', () => {
    const answer: PinsAnswer = {
      required_confirmations: 2,
      pins: [{ server_id: 'b.example', fingerprint: A, pinned_at: 't0', updated_at: 't1' }],
      pending: [
        {
          server_id: 'a.example',
          state: 'conflict',
          keys: [
            { fingerprint: A, paths: ['n1.example'] },
            { fingerprint: B, paths: ['n2.example', 'direct'] },
          ],
          first_seen: 't2',
          last_seen: 't3',
        },
      ],
    };
    expect(pinRows(answer)).toEqual([
      {
        server_id: 'a.example',
        state: 'conflict',
        fingerprints: `${'A'.repeat(16)}…, ${'B'.repeat(16)}…`,
        paths: 'n1.example | n2.example direct',
        since: 't2',
      },
      {
        server_id: 'b.example',
        state: 'pinned',
        fingerprints: `${'A'.repeat(16)}…`,
        paths: '',
        since: 't1',
      },
    ]);
  });
});

describe(renderPinHistory.name, () => {
  it('prints the entries and an intact chain', () => {
    const text = renderPinHistory(history());
    expect(text).toContain('pinned');
    expect(text).toContain('n1.example,n2.example');
    expect(text).toMatch(/chain: intact \(1 entries verified at start\)\n$/);
  });

  it('says where the chain broke', () => {
    const text = renderPinHistory(
      history({ chain: { intact: false, length: 3, broken_at: 4, checked_at: 't' } }),
    );
    expect(text).toContain('chain: BROKEN at seq 4');
  });

  it('escapes control characters another server could have put in a value', () => {
    const base = history();
    const hostile = history({
      entries: [{ ...base.entries[0], source: 'n1\u001b[2J\rforged', reason: 'x\u202ey' }],
    });
    const text = renderPinHistory(hostile);
    for (const c of ['\u001b', '\r', '\u202e']) expect(text).not.toContain(c);
    expect(text).toContain('n1\\u{1b}[2J\\u{d}forged');
  });
});
