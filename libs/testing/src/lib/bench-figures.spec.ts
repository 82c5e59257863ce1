import { linePlotSvg, median, niceCeiling, percentile } from './bench-figures';

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
