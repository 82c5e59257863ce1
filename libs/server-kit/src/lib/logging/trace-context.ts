import { randomBytes } from 'node:crypto';

/**
 * A W3C Trace Context (https://www.w3.org/TR/trace-context/, section 3.2), the
 * `traceparent` header: `00-<trace-id: 32 hex>-<parent-id: 16 hex>-<flags: 2 hex>`.
 * A page keeps one trace id across servers; each hop (an attempt, an ack) is a span.
 */
export interface TraceContext {
  /** 32 lowercase hex digits, not all zero. */
  traceId: string;
  /** The span this context names (the `parent-id` field), 16 lowercase hex digits, not all zero. */
  spanId: string;
  /** Bit 0: sampled. */
  flags: number;
}

export const TRACEPARENT_HEADER = 'traceparent';

const VERSION_00 = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
/** A future version: same first fields, more may follow after a `-` (spec 3.2.4). */
const FUTURE_VERSION = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/**
 * Parses a `traceparent` header value; `undefined` for anything invalid (then the receiver
 * starts a new trace, as the spec asks). Pure.
 * Refused: version `ff`, an all-zero trace or parent id, uppercase hex, wrong lengths, and
 * version 00 with anything after the flags.
 */
export function parseTraceparent(header: string | string[] | undefined): TraceContext | undefined {
  if (typeof header !== 'string' || header.length > 512) return undefined;
  const value = header.trim();
  let traceId: string;
  let spanId: string;
  let flags: string;
  const v00 = VERSION_00.exec(value);
  if (v00) {
    [, traceId, spanId, flags] = v00;
  } else {
    const future = FUTURE_VERSION.exec(value);
    if (!future || future[1] === '00' || future[1] === 'ff') return undefined;
    [, , traceId, spanId, flags] = future;
  }
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  return { traceId, spanId, flags: parseInt(flags, 16) };
}

/** The header value of a context (always version 00). */
export function formatTraceparent(context: TraceContext): string {
  return `00-${context.traceId}-${context.spanId}-${(context.flags & 0xff).toString(16).padStart(2, '0')}`;
}

/** A new trace (a page created here), sampled, with random ids. */
export function newTraceContext(): TraceContext {
  return { traceId: randomHex(16), spanId: randomHex(8), flags: 0x01 };
}

/** A new span in the same trace (an outgoing attempt or an ack made while handling `parent`). */
export function childSpan(parent: TraceContext): TraceContext {
  return { traceId: parent.traceId, spanId: randomHex(8), flags: parent.flags };
}

/**
 * The context of an incoming request: a child of its valid `traceparent`, or a new trace.
 * `continued` says which.
 */
export function traceFromHeaders(headers: Record<string, string | string[] | undefined>): {
  context: TraceContext;
  continued: boolean;
} {
  const parent = parseTraceparent(headers[TRACEPARENT_HEADER]);
  return parent
    ? { context: childSpan(parent), continued: true }
    : { context: newTraceContext(), continued: false };
}

const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;

/**
 * A new span under a stored context (a page's `trace_id` and the span its later work
 * parents from, e.g. read back from the outbox after a restart): a child of it when both
 * are valid ids (32 and 16 lowercase hex digits, not all zero), else a new trace (pages
 * stored before tracing, or a damaged row). Sampled. Pure but for the random span id.
 */
export function continueTrace(
  traceId: string | null | undefined,
  parentSpanId: string | null | undefined,
): TraceContext {
  if (
    typeof traceId === 'string' &&
    typeof parentSpanId === 'string' &&
    TRACE_ID.test(traceId) &&
    SPAN_ID.test(parentSpanId) &&
    !/^0+$/.test(traceId) &&
    !/^0+$/.test(parentSpanId)
  )
    return childSpan({ traceId, spanId: parentSpanId, flags: 0x01 });
  return newTraceContext();
}

/** Log fields naming a context: `trace_id` and `span_id`. */
export function traceFields(context: TraceContext): { trace_id: string; span_id: string } {
  return { trace_id: context.traceId, span_id: context.spanId };
}

function randomHex(bytes: number): string {
  for (;;) {
    const hex = randomBytes(bytes).toString('hex');
    if (!/^0+$/.test(hex)) return hex;
  }
}
