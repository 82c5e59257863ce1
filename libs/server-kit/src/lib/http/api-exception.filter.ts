import { ArgumentsHost, Catch, ExceptionFilter, HttpException } from '@nestjs/common';
import { ErrorCode, ProtocolError } from '@pager/protocol';
import type { FastifyReply } from 'fastify';
import type { JsonLogger } from '../logging/json-logger';

interface RenderedError {
  status: number;
  code: ErrorCode;
  message: string;
  retryAfterSeconds?: number;
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
 * Peers never see a stack trace; unexpected errors are logged and answered 500.
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  constructor(private readonly logger: JsonLogger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const rendered = this.render(exception);
    if (rendered.status >= 500) {
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
        retryAfterSeconds: exception.retryAfterSeconds,
      };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      const message =
        typeof body === 'object' && body !== null && 'message' in body
          ? [body.message].flat().join('; ')
          : exception.message;
      return { status, code: STATUS_CODES[status] ?? 'internal_error', message: String(message) };
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
    return { status: 500, code: 'internal_error', message: 'internal error' };
  }
}
