import { ArgumentsHost, Catch, ExceptionFilter, HttpException } from '@nestjs/common';
import { ErrorCode, ProtocolError } from '@pager/protocol';
import type { FastifyReply } from 'fastify';
import {
  DATABASE_RETRY_AFTER_SECONDS,
  DatabaseErrorKind,
  classifyDatabaseError,
} from '../database/database-errors';
import type { DatabaseMonitor } from '../database/database-monitor';
import type { JsonLogger } from '../logging/json-logger';

interface RenderedError {
  status: number;
  code: ErrorCode;
  message: string;
  retryAfterSeconds?: number;
  /** Set when a database error was answered 503 or 400 instead of 500. */
  databaseError?: DatabaseErrorKind;
}

const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'validation_failed',
  401: 'unauthorized',
  403: 'blocked',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  429: 'rate_limited',
  503: 'service_unavailable',
};

/**
 * Renders every error as `{ "error": code, "message" }` (docs/protocol.md §12).
 * Peers never see a stack trace. A dependency outage (database down, pool exhausted,
 * statement timeout, connection refused or terminated) is `503 service_unavailable` with
 * `Retry-After`, on every route, so that callers and sending servers retry; a value
 * PostgreSQL refuses (U+0000, ...) is `400 validation_failed`. Only what is left, a bug,
 * is logged with its stack and answered 500.
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  constructor(
    private readonly logger: JsonLogger,
    private readonly database?: DatabaseMonitor,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const rendered = this.render(exception);
    if (rendered.databaseError !== undefined) {
      this.database?.failure(rendered.databaseError, exception);
    } else if (rendered.status >= 500 && rendered.status !== 503) {
      const err = exception as Error;
      this.logger.event('http.internal_error', { error: err?.message, stack: err?.stack }, 'error');
    }
    if (rendered.retryAfterSeconds !== undefined) {
      reply.header('Retry-After', String(Math.max(1, Math.ceil(rendered.retryAfterSeconds))));
    }
    reply.status(rendered.status).send({ error: rendered.code, message: rendered.message });
  }

  render(exception: unknown): RenderedError {
    if (exception instanceof ProtocolError) {
      return {
        status: exception.status,
        code: exception.code,
        message: exception.message,
        retryAfterSeconds:
          exception.retryAfterSeconds ??
          (exception.code === 'service_unavailable' ? DATABASE_RETRY_AFTER_SECONDS : undefined),
      };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      const message =
        typeof body === 'object' && body !== null && 'message' in body
          ? [body.message].flat().join('; ')
          : exception.message;
      return {
        status,
        code: STATUS_CODES[status] ?? (status < 500 ? 'validation_failed' : 'internal_error'),
        message: String(message),
        retryAfterSeconds: status === 503 ? DATABASE_RETRY_AFTER_SECONDS : undefined,
      };
    }
    // Errors raised by fastify itself before a route runs (body limit, bad JSON, ...).
    const fastifyError = exception as { statusCode?: number; code?: string; message?: string };
    if (typeof fastifyError?.statusCode === 'number' && fastifyError.statusCode < 500) {
      const status = fastifyError.statusCode;
      if (status === 413) {
        return { status, code: 'payload_too_large', message: 'request body is too large' };
      }
      if (status === 415) {
        return { status: 400, code: 'invalid_json', message: 'body must be application/json' };
      }
      if (status === 400 && String(fastifyError.code ?? '').startsWith('FST_ERR_CTP')) {
        return { status, code: 'invalid_json', message: 'body is not valid JSON' };
      }
      return {
        status,
        code: STATUS_CODES[status] ?? 'validation_failed',
        message: fastifyError.message ?? 'bad request',
      };
    }
    const databaseError = classifyDatabaseError(exception);
    if (databaseError === 'unavailable') {
      return {
        status: 503,
        code: 'service_unavailable',
        message: 'the database is unavailable, retry later',
        retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS,
        databaseError,
      };
    }
    if (databaseError === 'invalid_input') {
      return {
        status: 400,
        code: 'validation_failed',
        message: 'a value was refused by the database (e.g. U+0000 or text that is not UTF-8)',
        databaseError,
      };
    }
    return { status: 500, code: 'internal_error', message: 'internal error' };
  }
}
