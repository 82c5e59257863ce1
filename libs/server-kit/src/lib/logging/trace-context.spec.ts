import {
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
