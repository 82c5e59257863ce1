import { cellText, paint, printable, renderFields, renderTable, stateColour } from './render';

interface Row {
  name: string;
  n: number;
  state: string;
}

const columns = [
  { header: 'NAME', value: (r: Row) => r.name },
  { header: 'N', value: (r: Row) => r.n, right: true },
  { header: 'STATE', value: (r: Row) => r.state, colour: (r: Row) => stateColour(r.state) },
];

describe(renderTable.name, () => {
  it('aligns columns two spaces apart, numbers to the right, the last column unpadded', () => {
    const text = renderTable(columns, [
      { name: 'server-a.example', n: 3, state: 'healthy' },
      { name: 'b', n: 120, state: 'backing_off' },
    ]);
    expect(text).toBe(
      [
        'NAME                N  STATE',
        'server-a.example    3  healthy',
        'b                 120  backing_off',
        '',
      ].join('\n'),
    );
  });

  it('says (none) for no rows', () => {
    expect(renderTable(columns, [])).toBe('(none)\n');
  });

  it('adds colour codes only when asked, without counting them in the widths', () => {
    const rows = [{ name: 'x', n: 1, state: 'unreachable' }];
    expect(renderTable(columns, rows, false)).not.toContain('\u001b');
    const coloured = renderTable(columns, rows, true);
    expect(coloured).toContain('\u001b[31munreachable\u001b[39m');
    // stripping the codes gives back the plain table
    // eslint-disable-next-line no-control-regex
    expect(coloured.replace(/\u001b\[\d+m/g, '')).toBe(renderTable(columns, rows, false));
  });

  it('measures width in code points, so astral characters do not break alignment', () => {
    const text = renderTable(columns, [
      { name: '😀😀', n: 1, state: 'x' },
      { name: 'abcd', n: 1, state: 'x' },
    ]);
    const lines = text.split('\n');
    expect([...lines[1]].indexOf('1')).toBe([...lines[2]].indexOf('1'));
  });

  it('neutralises terminal escapes, carriage returns and bidi overrides in values', () => {
    const hostile = 'evil\u001b[2J\rmallory\u202egnp.exe';
    const text = renderTable(columns, [{ name: hostile, n: 1, state: 'x' }]);
    expect(text).not.toMatch(/[\u001b\r\u202e]/); // eslint-disable-line no-control-regex
    expect(text).toContain('evil\\u{1b}[2J\\u{d}mallory\\u{202e}gnp.exe');
  });
});

describe(cellText.name, () => {
  it('shows missing values as -, booleans as yes/no', () => {
    expect([null, undefined, '', true, false, 0].map(cellText)).toEqual([
      '-',
      '-',
      '-',
      'yes',
      'no',
      '0',
    ]);
  });
});

describe(printable.name, () => {
  it('leaves ordinary text, accents and emoji alone', () => {
    expect(printable('café ☕ <b>&amp;</b> 😀')).toBe('café ☕ <b>&amp;</b> 😀');
  });
});

describe(renderFields.name, () => {
  it('aligns keys and colours values only when asked', () => {
    expect(
      renderFields([
        ['server', 'a'],
        ['fingerprint', null],
      ]),
    ).toBe('server       a\nfingerprint  -\n');
    expect(renderFields([['state', 'stopped', 'magenta']], true)).toBe(
      `${paint('state', 'dim', true)}  \u001b[35mstopped\u001b[39m\n`,
    );
  });
});
