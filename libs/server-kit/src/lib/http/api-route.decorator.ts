import { applyDecorators } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiQuery, ApiResponse } from '@nestjs/swagger';
import { ERROR_STATUS, ErrorCode } from '@pager/protocol';

/** What a route does and answers, for the OpenAPI document (`GET /docs`) and docs/api.md. */
export interface ApiRouteDoc {
  /** One sentence: what the call does. */
  summary: string;
  /**
   * `internal`: under `/api/v1`, behind the internal-API guard (adds `401 unauthorized`);
   * `public`: server to server (docs/protocol.md); `open`: health probes.
   */
  access: 'internal' | 'public' | 'open';
  /** The JSON request body's shape in words, e.g. `{ "user_id", "username" }`. Adds `invalid_json`, `payload_too_large`. */
  body?: string;
  /** Query parameters: name → meaning. */
  query?: Record<string, string>;
  /** Success statuses → what the body holds. */
  responses: Record<number, string>;
  /** Every error code the route can answer, besides those `access` and `body` add. */
  errors?: ErrorCode[];
}

/** The error codes a route can answer, grouped by HTTP status, in a stable order. */
export function errorCodesByStatus(
  doc: Pick<ApiRouteDoc, 'access' | 'body' | 'errors'>,
): Map<number, ErrorCode[]> {
  const codes = new Set<ErrorCode>(doc.errors ?? []);
  if (doc.body !== undefined) {
    codes.add('invalid_json');
    codes.add('payload_too_large');
  }
  if (doc.access === 'internal') codes.add('unauthorized');
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of [...codes].sort()) {
    const status = ERROR_STATUS[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return new Map([...byStatus.entries()].sort(([a], [b]) => a - b));
}

/**
 * Documents a route: summary, body, query parameters, every success status and every error
 * code (as `{ "error": code, "message" }` responses grouped by status). The error codes are
 * listed in each response's description as `` `code` `` so that docs/api.md, rendered from
 * the OpenAPI document, names them.
 */
export function ApiRoute(doc: ApiRouteDoc): MethodDecorator {
  const decorators: MethodDecorator[] = [ApiOperation({ summary: doc.summary })];
  if (doc.body !== undefined) {
    decorators.push(ApiBody({ description: doc.body, schema: { type: 'object' } }));
  }
  for (const [name, description] of Object.entries(doc.query ?? {})) {
    decorators.push(ApiQuery({ name, description, required: false, type: String }));
  }
  for (const [status, description] of Object.entries(doc.responses)) {
    decorators.push(ApiResponse({ status: Number(status), description }));
  }
  for (const [status, codes] of errorCodesByStatus(doc)) {
    decorators.push(
      ApiResponse({
        status,
        description: `error ${codes.map((c) => `\`${c}\``).join(', ')}`,
      }),
    );
  }
  return applyDecorators(...decorators);
}
