import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  continueTrace,
  childSpan,
  formatTraceparent,
  newTraceContext,
  parseTraceparent,
  traceFields,
  traceFromHeaders,
} from './trace-context';

/** The example of W3C Trace Context, section 3.2.2.1. */
const EXAMPLE = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe(parseTraceparent.name, () => {
  it('parses the specification example', () => {
    expect(parseTraceparent(EXAMPLE)).toEqual({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      flags: 1,
    });
  });

  it('accepts a future version with more fields, reading the known ones', () => {
    expect(
      parseTraceparent('cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-what-ever'),
    ).toEqual({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      flags: 0,
    });
  });

  it.each([
    ['version ff', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    ['all-zero trace id', '00-00000000000000000000000000000000-00f067aa0ba902b7-01'],
    ['all-zero parent id', '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01'],
    ['uppercase', '00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01'],
    ['short trace id', '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01'],
    ['version 00 with a suffix', `${EXAMPLE}-extra`],
    ['garbage', 'hello'],
    ['U+0000', `00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0\u0000`],
    ['a repeated header (array)', [EXAMPLE, EXAMPLE]],
    ['absent', undefined],
  ])('refuses %s', (_what, value) => {
    expect(parseTraceparent(value as string)).toBeUndefined();
  });
});

describe('trace context helpers', () => {
  it('formats what it parses, and a new context parses back', () => {
    expect(formatTraceparent(parseTraceparent(EXAMPLE)!)).toBe(EXAMPLE);
    const fresh = newTraceContext();
    expect(parseTraceparent(formatTraceparent(fresh))).toEqual(fresh);
    expect(fresh.flags).toBe(1);
  });

  it('a child span keeps the trace id and flags with a new span id', () => {
    const parent = parseTraceparent(EXAMPLE)!;
    const child = childSpan(parent);
    expect(child.traceId).toBe(parent.traceId);
    expect(child.flags).toBe(parent.flags);
    expect(child.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(child.spanId).not.toBe(parent.spanId);
  });

  it('continues a valid incoming trace, and starts a new one otherwise', () => {
    const continued = traceFromHeaders({ traceparent: EXAMPLE });
    expect(continued.continued).toBe(true);
    expect(continued.context.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    const fresh = traceFromHeaders({ traceparent: 'nonsense' });
    expect(fresh.continued).toBe(false);
    expect(fresh.context.traceId).not.toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(traceFields(continued.context)).toEqual({
      trace_id: continued.context.traceId,
      span_id: continued.context.spanId,
    });
  });
});

describe(continueTrace.name, () => {
  it('makes a child span of a stored trace id and parent span', () => {
    const sut = continueTrace('4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b7');
    expect(sut.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(sut.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(sut.spanId).not.toBe('00f067aa0ba902b7');
    expect(sut.flags).toBe(1);
  });

  it.each([
    ['nothing stored', null, null],
    ['no parent span', '4bf92f3577b34da6a3ce929d0e0e4736', null],
    ['an all-zero trace id', '00000000000000000000000000000000', '00f067aa0ba902b7'],
    ['an all-zero parent', '4bf92f3577b34da6a3ce929d0e0e4736', '0000000000000000'],
    ['uppercase', '4BF92F3577B34DA6A3CE929D0E0E4736', '00f067aa0ba902b7'],
    ['a short trace id', '4bf92f3577b34da6a3ce929d0e0e473', '00f067aa0ba902b7'],
  ])('starts a new trace from %s', (_what, traceId, parent) => {
    const sut = continueTrace(traceId, parent);
    expect(sut.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(sut.traceId).not.toBe(traceId);
  });
});

describe('traceparent from hostile header values', () => {
  // The Big List of Naughty Strings (libs/protocol/test/fixtures/blns.json): none is a
  // valid traceparent, so each is ignored and a new trace starts; nothing throws.
  const blns: string[] = JSON.parse(
    readFileSync(join(__dirname, '../../../../protocol/test/fixtures/blns.json'), 'utf8'),
  );

  it(`ignores each of the ${blns.length} BLNS strings and starts a valid new trace`, () => {
    const continued = blns.filter((value) => {
      const sut = traceFromHeaders({ traceparent: value });
      expect(parseTraceparent(formatTraceparent(sut.context))).toEqual(sut.context);
      return parseTraceparent(value) !== undefined || sut.continued;
    });
    expect(continued).toEqual([]);
  });

  it('ignores a value beyond 512 characters, even one that starts valid', () => {
    expect(parseTraceparent(`${EXAMPLE}${' '.repeat(600)}`)).toBeUndefined();
    expect(
      parseTraceparent(
        `cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-${'x'.repeat(600)}`,
      ),
    ).toBeUndefined();
  });

  it('accepts surrounding whitespace, as header values may carry it', () => {
    expect(parseTraceparent(` ${EXAMPLE}\t`)?.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });
});
