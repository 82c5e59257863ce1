import {
  InternalApiBadAnswerError,
  InternalApiError,
  InternalApiUnreachableError,
  toErrorBody,
} from './errors';

export interface InternalApiClientOptions {
  /** Base URL of the service, e.g. `http://127.0.0.1:4100` (a trailing `/` is ignored). */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <token>` (SERVICES.md, Common: INTERNAL_API_TOKEN). */
  token?: string;
  /** Bound of one call, connection to last byte (ms). Default 10 000. */
  timeoutMs?: number;
  /** Bound of an answer body (bytes). Default 8 MiB. */
  maxBodyBytes?: number;
  /** Injected in unit specs; the global `fetch` (undici) otherwise. */
  fetch?: typeof fetch;
}

export interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | undefined>;
  /** `text` returns the body as a string (Prometheus metrics, HTML). Default `json`. */
  as?: 'json' | 'text';
}

export interface RawAnswer {
  status: number;
  contentType: string;
  text: string;
}

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;

/**
 * One HTTP client for the internal APIs: bearer token, a hard timeout, a bounded body, no
 * redirects. A 2xx answer resolves to its parsed JSON (`undefined` for an empty body, e.g.
 * `204`); anything else throws `InternalApiError` (status and `{ error, message }`),
 * `InternalApiUnreachableError` (no answer in time) or `InternalApiBadAnswerError`.
 */
export class InternalApiHttpClient {
  readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly maxBodyBytes: number;
  private readonly fetchFn: typeof fetch;

  constructor(private readonly options: InternalApiClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.fetchFn = options.fetch ?? fetch;
  }

  /** `method path` with the options above; see the class for what it throws. */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const answer = await this.raw(method, path, options);
    const url = this.urlOf(path, options.query);
    if (answer.status < 200 || answer.status > 299) {
      throw new InternalApiError(
        method,
        url,
        answer.status,
        toErrorBody(answer.status, answer.text),
      );
    }
    if (options.as === 'text') return answer.text as T;
    if (answer.text === '') return undefined as T;
    try {
      return JSON.parse(answer.text) as T;
    } catch {
      throw new InternalApiBadAnswerError(method, url, answer.status, 'body is not JSON');
    }
  }

  /** The answer whatever its status (only a missing answer throws). */
  async raw(method: string, path: string, options: RequestOptions = {}): Promise<RawAnswer> {
    const url = this.urlOf(path, options.query);
    const headers: Record<string, string> = { accept: 'application/json, text/plain;q=0.5' };
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    const signal = AbortSignal.timeout(this.timeoutMs);
    let response: Response;
    try {
      response = await this.fetchFn(url, { method, headers, body, signal, redirect: 'manual' });
    } catch (err) {
      throw this.unreachable(method, url, err, signal);
    }
    let text: string;
    try {
      text = await readBounded(response, this.maxBodyBytes);
    } catch (err) {
      if (err instanceof BodyTooLarge) {
        throw new InternalApiBadAnswerError(method, url, response.status, err.message);
      }
      throw this.unreachable(method, url, err, signal);
    }
    return {
      status: response.status,
      contentType: response.headers.get('content-type') ?? '',
      text,
    };
  }

  urlOf(path: string, query?: RequestOptions['query']): string {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined) search.set(key, String(value));
    }
    const qs = search.toString();
    return `${this.baseUrl}${path}${qs ? `?${qs}` : ''}`;
  }

  private unreachable(
    method: string,
    url: string,
    err: unknown,
    signal: AbortSignal,
  ): InternalApiUnreachableError {
    if (signal.aborted) {
      return new InternalApiUnreachableError(
        method,
        url,
        `no answer in ${this.timeoutMs} ms`,
        true,
      );
    }
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const reason = cause?.code ?? cause?.message ?? (err as Error).message;
    return new InternalApiUnreachableError(method, url, reason, false);
  }
}

class BodyTooLarge extends Error {}

/** Reads a body as UTF-8, stopping (and cancelling the stream) past `maxBytes`. */
async function readBounded(response: Response, maxBytes: number): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new BodyTooLarge(`body over ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Path segment of an id (server id, user id, message id): always URL-encoded. */
export function seg(value: string): string {
  return encodeURIComponent(value);
}
