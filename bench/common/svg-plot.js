// A small hand-written SVG line plot for the benches' figures (no plotting dependency), in
// the style of tools/sim-gossip.ts's plots: white background, axes with ticks, one polyline
// per series, a legend.
'use strict';

const COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];

function escapeXml(text) {
  return String(text).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  );
}

/** 1, 2, 5 × 10^k steps: about `count` round ticks between `min` and `max`. */
function niceTicks(min, max, count = 6) {
  const span = max - min || 1;
  const raw = span / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const ticks = [];
  for (let t = Math.ceil(min / step) * step; t <= max + step * 1e-9; t += step) {
    ticks.push(Number(t.toPrecision(12)));
  }
  return ticks;
}

/** Powers of ten and their 2× and 5× between `min` and `max` (> 0), for a log axis. */
function logTicks(min, max) {
  const ticks = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
    for (const m of [1, 2, 5]) {
      const t = m * 10 ** e;
      if (t >= min && t <= max) ticks.push(Number(t.toPrecision(12)));
    }
  }
  return ticks;
}

/**
 * An SVG document (a string) with one line per series.
 * @param {object} options
 * @param {string} options.title
 * @param {string} options.xLabel
 * @param {string} options.yLabel
 * @param {{ label: string, points: [number, number][], dashed?: boolean }[]} options.series
 * @param {boolean} [options.logX] logarithmic x axis (every x must be > 0)
 * @param {[number, number]} [options.yRange] default: the data's range
 * @param {(y: number) => string} [options.yFormat]
 * @param {string[]} [options.notes] lines written under the legend
 */
function linePlot(options) {
  const width = 720;
  const height = 400;
  const left = 60;
  const right = 20;
  const top = 30;
  const bottom = 50;
  const xs = options.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = options.series.flatMap((s) => s.points.map((p) => p[1]));
  const [yMin, yMax] = options.yRange ?? [Math.min(...ys), Math.max(...ys)];
  let xMin = Math.min(...xs);
  let xMax = Math.max(...xs);
  if (options.logX) {
    // Half-decade bounds around the data.
    xMin = Math.max(Math.min(...xs.filter((x) => x > 0)), 1e-9);
    xMin = 10 ** (Math.floor(Math.log10(xMin) * 2) / 2);
    xMax = 10 ** (Math.ceil(Math.log10(xMax) * 2) / 2);
  }
  if (xMax === xMin) xMax = xMin + 1;
  const fx = options.logX
    ? (x) =>
        (Math.log10(Math.max(x, xMin)) - Math.log10(xMin)) / (Math.log10(xMax) - Math.log10(xMin))
    : (x) => (x - xMin) / (xMax - xMin);
  const px = (x) => left + (width - left - right) * fx(x);
  const py = (y) => height - bottom - ((height - bottom - top) * (y - yMin)) / (yMax - yMin || 1);
  const yFormat = options.yFormat ?? ((y) => String(y));
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="18" font-size="13">${escapeXml(options.title)}</text>`,
    `<line x1="${left}" y1="${py(yMin)}" x2="${width - right}" y2="${py(yMin)}" stroke="black"/>`,
    `<line x1="${left}" y1="${py(yMin)}" x2="${left}" y2="${py(yMax)}" stroke="black"/>`,
    `<text x="${(left + width - right) / 2}" y="${height - 10}" text-anchor="middle">${escapeXml(options.xLabel)}</text>`,
    `<text transform="translate(14 ${(top + height - bottom) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(options.yLabel)}</text>`,
  ];
  const xTicks = options.logX ? logTicks(xMin, xMax) : niceTicks(xMin, xMax);
  for (const t of xTicks) {
    parts.push(
      `<line x1="${px(t).toFixed(1)}" y1="${py(yMin)}" x2="${px(t).toFixed(1)}" y2="${py(yMax)}" stroke="#e5e5e5"/>`,
      `<text x="${px(t).toFixed(1)}" y="${py(yMin) + 15}" text-anchor="middle">${t}</text>`,
    );
  }
  for (const t of niceTicks(yMin, yMax, 5)) {
    parts.push(
      `<line x1="${left}" y1="${py(t).toFixed(1)}" x2="${width - right}" y2="${py(t).toFixed(1)}" stroke="#e5e5e5"/>`,
      `<text x="${left - 6}" y="${(py(t) + 4).toFixed(1)}" text-anchor="end">${escapeXml(yFormat(t))}</text>`,
    );
  }
  options.series.forEach((series, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const points = series.points.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`);
    parts.push(
      `<polyline fill="none" stroke="${colour}" stroke-width="2"${series.dashed ? ' stroke-dasharray="5,3"' : ''} points="${points.join(' ')}"/>`,
      `<text x="${left + 12}" y="${top + 16 + 15 * i}" fill="${colour}">${escapeXml(series.label)}</text>`,
    );
  });
  (options.notes ?? []).forEach((note, i) => {
    parts.push(
      `<text x="${left + 12}" y="${top + 16 + 15 * (options.series.length + i)}" fill="#555">${escapeXml(note)}</text>`,
    );
  });
  parts.push('</svg>', '');
  return parts.join('\n');
}

/** The empirical CDF of `values` as plot points: [value, fraction ≤ value], stepwise. */
function cdfPoints(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const points = [];
  sorted.forEach((v, i) => {
    points.push([v, i / sorted.length], [v, (i + 1) / sorted.length]);
  });
  return points;
}

module.exports = { linePlot, cdfPoints, niceTicks, logTicks };
