import type { PinHistoryAnswer, PinHistoryEntry, PinsAnswer } from '@pager/internal-api';
import { Column, Colour, paint, printable, renderTable } from './render';

/** One line of `fedctl pins`: a pinned key or a server pending confirmation. */
export interface PinRow {
  server_id: string;
  state: 'pinned' | 'pending' | 'conflict';
  /** Comma-separated, shortened: several for a conflict. */
  fingerprints: string;
  /** Paths that brought the key(s); `-` for a pin. */
  paths: string;
  since: string;
}

function short(fp: string | null | undefined): string | undefined {
  return fp ? `${fp.slice(0, 16)}…` : undefined;
}

function stateColour(state: PinRow['state']): Colour | undefined {
  return state === 'conflict' ? 'red' : state === 'pending' ? 'yellow' : undefined;
}

/** The rows of `fedctl pins`, pins and pending servers together, in server_id order. */
export function pinRows(answer: PinsAnswer): PinRow[] {
  const rows: PinRow[] = [
    ...answer.pins.map((p) => ({
      server_id: p.server_id,
      state: 'pinned' as const,
      fingerprints: short(p.fingerprint) ?? '',
      paths: '',
      since: p.updated_at,
    })),
    ...answer.pending.map((p) => ({
      server_id: p.server_id,
      state: p.state,
      fingerprints: p.keys.map((k) => short(k.fingerprint)).join(', '),
      paths: p.keys.map((k) => k.paths.join(' ')).join(' | '),
      since: p.first_seen,
    })),
  ];
  return rows.sort((a, b) => (a.server_id < b.server_id ? -1 : a.server_id > b.server_id ? 1 : 0));
}

export const PIN_COLUMNS: Column<PinRow>[] = [
  { header: 'SERVER', value: (r) => r.server_id },
  { header: 'STATE', value: (r) => r.state, colour: (r) => stateColour(r.state) },
  { header: 'FINGERPRINT', value: (r) => r.fingerprints },
  { header: 'SINCE', value: (r) => r.since },
  { header: 'PATHS', value: (r) => r.paths },
];

const HISTORY_COLUMNS: Column<PinHistoryEntry>[] = [
  { header: 'SEQ', value: (e) => e.seq, right: true },
  { header: 'AT', value: (e) => e.at },
  {
    header: 'EVENT',
    value: (e) => e.event,
    colour: (e) => (e.event === 'conflict' ? 'red' : undefined),
  },
  { header: 'FINGERPRINT', value: (e) => short(e.fingerprint) },
  { header: 'PREVIOUS', value: (e) => short(e.previous_fingerprint) },
  { header: 'SOURCE', value: (e) => e.source },
  { header: 'REASON', value: (e) => e.reason },
];

/**
 * `fedctl pins history <server>`: the entries, then one line on the chain check at start.
 * Every value goes through `printable` (sources and ids were written by other servers).
 */
export function renderPinHistory(answer: PinHistoryAnswer, colour = false): string {
  const table = renderTable(HISTORY_COLUMNS, answer.entries, colour);
  const { chain } = answer;
  const line =
    chain.intact === null
      ? paint('chain: not checked (the check at start could not run)', 'yellow', colour)
      : chain.intact
        ? `chain: intact (${chain.length} entries verified at start)`
        : paint(
            `chain: BROKEN at seq ${printable(String(chain.broken_at))} (checked ${printable(String(chain.checked_at))}); see docs/operations.md`,
            'red',
            colour,
          );
  return `${table}${line}\n`;
}
