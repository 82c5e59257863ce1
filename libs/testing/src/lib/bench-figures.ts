/**
 * Pure helpers of the benchmarks under bench/: percentiles of latency samples and a small
 * SVG line plot (no I/O; the benchmarks write the file).
 */

/**
 * The `p`-th percentile (0–100) of `samples` by the nearest-rank method: the smallest value
 * with at least p % of the samples at or below it. NaN for no samples. Does not modify its
 * input.
 */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((Math.min(100, Math.max(0, p)) / 100) * sorted.length);
  return sorted[Math.max(0, rank - 1)];
}

/** Median of `samples` (the lower middle one for an even count); NaN for none. */
export function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

export interface PlotSeries {
  label: string;
  /** [x, y] points in data units, drawn in this order. */
  points: ReadonlyArray<readonly [number, number]>;
  /** Dashed line. */
  dashed?: boolean;
}

export interface LinePlot {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly PlotSeries[];
  /** Axis ranges; default 0 to the largest value. */
  xMax?: number;
  yMax?: number;
  /** Logarithmic y axis (all y must be > 0). */
  logY?: boolean;
  /** Logarithmic x axis from the half decade below the smallest x (> 0) to the one above the largest. */
  logX?: boolean;
  /** Labels of the y ticks (default: the number). */
  yFormat?: (y: number) => string;
  /** Cap on legend rows (the rest is summarised as "+ n more"). */
  legendRows?: number;
  /** Lines written under the legend, each broken into rows at "; ". */
  notes?: readonly string[];
}

/** The empirical CDF of `values` as plot points, stepwise: [value, fraction of values ≤ it]. */
export function cdfPoints(values: readonly number[]): [number, number][] {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.flatMap((v, i): [number, number][] => [
    [v, i / sorted.length],
    [v, (i + 1) / sorted.length],
  ]);
}

/** The 1, 2 and 5 × 10^k between `min` and `max` (both > 0): ticks of a log axis. */
export function logTicks(min: number, max: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
    for (const m of [1, 2, 5]) {
      const t = Number((m * 10 ** e).toPrecision(12));
      if (t >= min && t <= max) ticks.push(t);
    }
  }
  return ticks;
}

const COLOURS = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
];

/** Rounds an axis maximum up to 1, 2 or 5 times a power of ten. */
export function niceCeiling(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** An SVG document (720 × 360 px) of `plot`: axes with 5 ticks each, one polyline per series. */
export function linePlotSvg(plot: LinePlot): string {
  const width = 720;
  const height = 360;
  const left = 60;
  const right = 200;
  const top = 28;
  const bottom = 44;
  const all = plot.series.flatMap((s) => s.points);
  const xs = all.map((p) => p[0]);
  const xMin = plot.logX
    ? 10 ** (Math.floor(Math.log10(Math.max(Math.min(...xs.filter((v) => v > 0)), 1e-9)) * 2) / 2)
    : 0;
  const xMax = plot.logX
    ? Math.max(10 ** (Math.ceil(Math.log10(Math.max(...xs)) * 2) / 2), xMin * 10)
    : (plot.xMax ?? niceCeiling(Math.max(0, ...xs)));
  const yMax = plot.yMax ?? niceCeiling(Math.max(0, ...all.map((p) => p[1])));
  const yMin = plot.logY ? 10 ** Math.floor(Math.log10(Math.min(...all.map((p) => p[1])))) : 0;
  const xFraction = (v: number) =>
    plot.logX ? Math.log10(Math.max(v, xMin) / xMin) / Math.log10(xMax / xMin) : v / xMax;
  const x = (v: number) => left + (width - left - right) * xFraction(v);
  const yFraction = (v: number) =>
    plot.logY ? Math.log10(v / yMin) / Math.log10(yMax / yMin) : v / yMax;
  const y = (v: number) => height - bottom - (height - bottom - top) * yFraction(v);
  const fmt = (v: number) => String(Number(v.toPrecision(3)));
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="16" font-size="13">${escapeXml(plot.title)}</text>`,
    `<line x1="${left}" y1="${y(yMin || 0)}" x2="${width - right}" y2="${y(yMin || 0)}" stroke="black"/>`,
    `<line x1="${left}" y1="${y(yMin || 0)}" x2="${left}" y2="${top}" stroke="black"/>`,
    `<text x="${(left + width - right) / 2 - 40}" y="${height - 8}">${escapeXml(plot.xLabel)}</text>`,
    `<text x="12" y="${(top + height - bottom) / 2}" transform="rotate(-90 12 ${(top + height - bottom) / 2})">${escapeXml(plot.yLabel)}</text>`,
  ];
  const xTicks = plot.logX ? logTicks(xMin, xMax) : [0, 1, 2, 3, 4, 5].map((i) => (xMax * i) / 5);
  for (const xv of xTicks) {
    parts.push(`<text x="${x(xv) - 8}" y="${height - bottom + 14}">${fmt(xv)}</text>`);
  }
  const yLabel = plot.yFormat ?? fmt;
  for (let i = 0; i <= 5; i++) {
    const yv = plot.logY ? yMin * (yMax / yMin) ** (i / 5) : (yMax * i) / 5;
    parts.push(
      `<text x="${left - 6}" y="${(y(yv) + 4).toFixed(1)}" text-anchor="end">${escapeXml(yLabel(yv))}</text>`,
      `<line x1="${left}" y1="${y(yv).toFixed(1)}" x2="${width - right}" y2="${y(yv).toFixed(1)}" stroke="#ddd"/>`,
    );
  }
  const rows = plot.legendRows ?? 12;
  plot.series.forEach((series, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const points = series.points.map(([px, py]) => `${x(px).toFixed(1)},${y(py).toFixed(1)}`);
    parts.push(
      `<polyline fill="none" stroke="${colour}" stroke-width="1.5"${series.dashed ? ' stroke-dasharray="5,3"' : ''} points="${points.join(' ')}"/>`,
    );
    if (i < rows) {
      parts.push(
        `<text x="${width - right + 10}" y="${top + 14 * i + 8}" fill="${colour}">${escapeXml(series.label)}</text>`,
      );
    } else if (i === rows) {
      parts.push(
        `<text x="${width - right + 10}" y="${top + 14 * i + 8}">+ ${plot.series.length - rows} more</text>`,
      );
    }
  });
  // Under the legend, one row per "; "-separated part (the legend column is 190 px wide).
  (plot.notes ?? [])
    .flatMap((note) => note.split('; '))
    .forEach((note, i) => {
      const row = Math.min(plot.series.length, rows + 1) + i;
      parts.push(
        `<text x="${width - right + 10}" y="${top + 14 * row + 8}" fill="#555">${escapeXml(note)}</text>`,
      );
    });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
