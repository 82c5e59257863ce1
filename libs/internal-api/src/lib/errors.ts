import type { ApiErrorBody } from './types';

/** Base of every failure of an internal-API call. */
export abstract class InternalApiFailure extends Error {
  abstract readonly kind: 'http' | 'unreachable' | 'bad_answer';
  constructor(
    message: string,
    /** `GET`, `POST`... */
    readonly method: string,
    /** The full URL called. */
    readonly url: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * The service answered with a status outside 2xx. `body` is its `{ error, message }`
 * (SERVICES.md, Common); an answer without that shape gets `error: "http_<status>"` and
 * the first 200 characters of the text as `message`.
 */
export class InternalApiError extends InternalApiFailure {
  readonly kind = 'http' as const;
  constructor(
    method: string,
    url: string,
    readonly status: number,
    readonly body: ApiErrorBody,
  ) {
    super(`${status} ${body.error}: ${body.message}`, method, url);
  }

  /** The error code of the body, e.g. `not_found`, `domain_not_found`, `unauthorized`. */
  get code(): string {
    return this.body.error;
  }
}

/** No answer: connection refused, DNS failure, timeout (`timedOut`), body over the bound. */
export class InternalApiUnreachableError extends InternalApiFailure {
  readonly kind = 'unreachable' as const;
  constructor(
    method: string,
    url: string,
    readonly reason: string,
    readonly timedOut: boolean,
  ) {
    super(`cannot reach ${url}: ${reason}`, method, url);
  }
}

/** A 2xx answer whose body is not what the contract says (not JSON, too large). */
export class InternalApiBadAnswerError extends InternalApiFailure {
  readonly kind = 'bad_answer' as const;
  constructor(
    method: string,
    url: string,
    readonly status: number,
    readonly reason: string,
  ) {
    super(`bad answer from ${url} (${status}): ${reason}`, method, url);
  }
}

/** Reads an error body into `{ error, message }`, whatever the service sent. */
export function toErrorBody(status: number, text: string): ApiErrorBody {
  try {
    const parsed = JSON.parse(text) as Partial<ApiErrorBody> | null;
    if (parsed && typeof parsed.error === 'string') {
      return {
        error: parsed.error,
        message: typeof parsed.message === 'string' ? parsed.message : '',
      };
    }
  } catch {
    // not JSON: described below
  }
  return { error: `http_${status}`, message: text.slice(0, 200) };
}
