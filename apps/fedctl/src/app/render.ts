/**
 * Terminal output as pure functions: aligned tables, key/value blocks, colour. Every value
 * is passed through `printable` first: server ids, reasons and errors come from other
 * servers and must not steer the operator's terminal (ANSI escapes, carriage returns).
 */

export type Colour = 'red' | 'green' | 'yellow' | 'magenta' | 'dim' | 'bold';

const SGR: Record<Colour, [number, number]> = {
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  magenta: [35, 39],
  dim: [2, 22],
  bold: [1, 22],
};

export interface Column<T> {
  header: string;
  value: (row: T) => string | number | boolean | null | undefined;
  /** Right-aligned (numbers). */
  right?: boolean;
  colour?: (row: T) => Colour | undefined;
}

/**
 * C0 and C1 control characters (ESC, CR, BEL...), DEL, and the bidirectional overrides shown
 * as `\u{..}`, so that no value can move the cursor, rewrite a line or reorder the text.
 */
export function printable(value: string): string {
  return value.replace(
    // eslint-disable-next-line no-control-regex -- matching control characters is the point
    /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu,
    (c) => `\\u{${(c.codePointAt(0) ?? 0).toString(16)}}`,
  );
}

/** A cell's text: null/undefined as `-`, booleans as yes/no, then `printable`. */
export function cellText(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined || value === '') return '-';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return printable(String(value));
}

/** Width in terminal columns, counted in code points (wide East Asian glyphs count as one). */
export function width(text: string): number {
  return [...text].length;
}

export function paint(text: string, colour: Colour | undefined, enabled: boolean): string {
  if (!enabled || colour === undefined) return text;
  const [on, off] = SGR[colour];
  return `\u001b[${on}m${text}\u001b[${off}m`;
}

/**
 * An aligned table: a header line, then one line per row, columns two spaces apart, the last
 * column not padded. `(none)` for no rows. Colour codes never count towards the widths.
 */
export function renderTable<T>(columns: Column<T>[], rows: T[], colour = false): string {
  if (rows.length === 0) return '(none)\n';
  const cells = rows.map((row) => columns.map((c) => cellText(c.value(row))));
  const widths = columns.map((c, i) =>
    Math.max(width(c.header), ...cells.map((line) => width(line[i]))),
  );
  const line = (texts: string[], colours: (Colour | undefined)[]) =>
    texts
      .map((text, i) => {
        const pad = ' '.repeat(widths[i] - width(text));
        const last = i === texts.length - 1;
        const padded = columns[i].right ? pad + text : last ? text : text + pad;
        return paint(padded, colours[i], colour);
      })
      .join('  ')
      .trimEnd();
  const header = line(
    columns.map((c) => c.header),
    columns.map(() => 'bold' as const),
  );
  const body = rows.map((row, r) =>
    line(
      cells[r],
      columns.map((c) => c.colour?.(row)),
    ),
  );
  return [header, ...body].join('\n') + '\n';
}

/** `key  value` lines, keys aligned, for one object. */
export function renderFields(
  fields: [string, string | number | boolean | null | undefined, Colour?][],
  colour = false,
): string {
  const keyWidth = Math.max(...fields.map(([k]) => width(k)));
  return (
    fields
      .map(
        ([key, value, c]) =>
          `${paint(key.padEnd(keyWidth), 'dim', colour)}  ${paint(cellText(value), c, colour)}`,
      )
      .join('\n') + '\n'
  );
}

/** Colour of a destination state (SERVICES.md, Destinations). */
export function stateColour(state: string): Colour | undefined {
  switch (state) {
    case 'healthy':
    case 'delivered':
      return 'green';
    case 'backing_off':
    case 'queued':
    case 'sending':
      return 'yellow';
    case 'unreachable':
    case 'failed':
    case 'rejected':
      return 'red';
    case 'stopped':
      return 'magenta';
    default:
      return undefined;
  }
}

/** A JSON document for scripts: two-space indented, one trailing newline. */
export function renderJson(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}
