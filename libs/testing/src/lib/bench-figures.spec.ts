import { cdfPoints, logTicks, linePlotSvg, median, niceCeiling, percentile } from './bench-figures';

describe('percentile', () => {
  const samples = Array.from({ length: 100 }, (_, i) => 100 - i); // 100 … 1, unsorted

  it('takes the nearest rank: p50 of 1…100 is 50, p99 is 99', () => {
    expect(percentile(samples, 50)).toBe(50);
    expect(percentile(samples, 99)).toBe(99);
  });

  it('is the smallest value at p0 and the largest at p100', () => {
    expect(percentile(samples, 0)).toBe(1);
    expect(percentile(samples, 100)).toBe(100);
  });

  it('is NaN without samples', () => {
    expect(percentile([], 50)).toBeNaN();
  });

  it('leaves its input in its order', () => {
    const input = [3, 1, 2];
    percentile(input, 50);
    expect(input).toEqual([3, 1, 2]);
  });

  it('gives the lower middle value as the median of an even count', () => {
    expect(median([4, 1, 3, 2])).toBe(2);
  });
});

describe('niceCeiling', () => {
  it('rounds up to 1, 2 or 5 times a power of ten', () => {
    expect([0.7, 1, 3, 7, 11, 260].map(niceCeiling)).toEqual([1, 1, 5, 10, 20, 500]);
  });
});

describe('linePlotSvg', () => {
  const sut = () =>
    linePlotSvg({
      title: 'a < b',
      xLabel: 'seconds',
      yLabel: 'servers',
      series: [
        {
          label: 'g0',
          points: [
            [0, 1],
            [10, 10],
          ],
        },
        {
          label: 'g1',
          points: [
            [0, 0],
            [5, 10],
          ],
          dashed: true,
        },
      ],
    });

  it('draws one polyline per series, scaled into the plot area', () => {
    const svg = sut();
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    expect(svg).toContain('points="60.0,');
    expect(svg).toContain('stroke-dasharray');
  });

  it('escapes text for XML', () => {
    expect(sut()).toContain('a &lt; b');
  });
});

describe('cdfPoints', () => {
  it('steps up by 1/n at each sorted value, without touching its input', () => {
    const values = [30, 10, 20];
    expect(cdfPoints(values)).toEqual([
      [10, 0],
      [10, 1 / 3],
      [20, 1 / 3],
      [20, 2 / 3],
      [30, 2 / 3],
      [30, 1],
    ]);
    expect(values).toEqual([30, 10, 20]);
  });
});

describe('logTicks', () => {
  it('lists 1, 2 and 5 times the powers of ten within the range', () => {
    expect(logTicks(3, 600)).toEqual([5, 10, 20, 50, 100, 200, 500]);
    expect(logTicks(0.5, 2)).toEqual([0.5, 1, 2]);
  });
});

describe('linePlotSvg with a log x axis', () => {
  const svg = linePlotSvg({
    title: 'latency',
    xLabel: 'ms',
    yLabel: 'fraction',
    logX: true,
    yMax: 1,
    yFormat: (y) => `${Math.round(y * 100)} %`,
    series: [{ label: 'a', points: cdfPoints([5, 20, 90]) }],
    notes: ['ratio 4×; load 1.2'],
  });

  it('labels the decade ticks and the y ticks as formatted', () => {
    expect(svg).toContain('>10<');
    expect(svg).toContain('>100<');
    expect(svg).toContain('>60 %<');
  });

  it('places x by its logarithm: 5 to 50 spans what 10 to 100 does', () => {
    const xOf = (label: string) =>
      Number(new RegExp(`<text x="([0-9.]+)" y="[0-9.]+">${label}</text>`).exec(svg)?.[1]);
    expect(xOf('50') - xOf('5')).toBeCloseTo(xOf('100') - xOf('10'), 1);
  });

  it('breaks the notes into rows at "; "', () => {
    expect(svg).toContain('>ratio 4×<');
    expect(svg).toContain('>load 1.2<');
  });
});
