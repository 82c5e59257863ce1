import axios, { AxiosInstance } from 'axios';
import { LookupAddress, LookupAllOptions, lookup as dnsLookup } from 'node:dns';
import { Agent as HttpAgent, IncomingHttpHeaders, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface HttpClientOptions {
  timeoutMs: number;
  maxBodyBytes: number;
  headers?: Record<string, string>;
  /**
   * Checked against every address a host name resolves to, at connect time: a host that
   * passed the endpoint policy when announced cannot be rebound to a private address
   * later. Unset: any address (for the operator's own URLs: daemon, webhook).
   */
  permitAddress?: (ip: string) => boolean;
  /**
   * The agents' `lookup` itself, instead of the system resolver checked by `permitAddress`
   * (a service with a resolver of its own that must check the same addresses; see
   * `guardedLookup` for the contract). `createJsonClient` only.
   */
  lookup?: typeof guardedLookup extends (...args: never[]) => infer L ? L : never;
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/** A `lookup` for http agents that refuses the connection if any resolved address is not permitted. */
export function guardedLookup(permit: (ip: string) => boolean) {
  return (
    hostname: string,
    options: { all?: boolean; family?: number },
    callback: LookupCallback,
  ): void => {
    const query: LookupAllOptions = { family: options.family ?? 0, all: true };
    dnsLookup(hostname, query, (err, addresses) => {
      if (err) {
        callback(err, []);
        return;
      }
      const refused = addresses.find((entry) => !permit(entry.address));
      if (refused !== undefined || addresses.length === 0) {
        const error: NodeJS.ErrnoException = new Error(
          `refusing to connect to ${hostname}: ${refused?.address ?? 'no address'} is not a permitted address`,
        );
        error.code = 'EADDRNOTPERMITTED';
        callback(error, []);
        return;
      }
      if (options.all) callback(null, addresses);
      else callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

/**
 * An axios instance for server-to-server and service-to-service calls: keep-alive
 * connections, a hard timeout, bounded response size, no redirects (a redirect could
 * point a signed request into a private network), and no throwing on HTTP status.
 */
export function createHttpClient(options: HttpClientOptions): AxiosInstance {
  const lookup = options.permitAddress
    ? (guardedLookup(options.permitAddress) as never)
    : undefined;
  return axios.create({
    timeout: options.timeoutMs,
    maxContentLength: options.maxBodyBytes,
    maxBodyLength: options.maxBodyBytes,
    maxRedirects: 0,
    validateStatus: () => true,
    httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 64, lookup }),
    httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 64, lookup }),
    headers: { 'content-type': 'application/json', ...options.headers },
    proxy: false,
    transitional: { clarifyTimeoutError: true },
  });
}

/** What a `JsonClient` answers: any HTTP status (never thrown), its headers, the body. */
export interface JsonResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body parsed as JSON, or the text itself when it is not JSON ('' when empty). */
  data: unknown;
}

/** A lean POST-only client for the hot server-to-server path (see `createJsonClient`). */
export interface JsonClient {
  /**
   * POSTs `body` (an object, serialised here, or a string already serialised) as JSON.
   * Rejects on a network error, on `signal`, after `timeoutMs` (code `ETIMEDOUT`), on a body
   * over `maxBodyBytes` (code `ERR_BODY_TOO_LARGE`) and on a refused address
   * (`EADDRNOTPERMITTED`); any HTTP status resolves.
   */
  post(
    url: string,
    body: unknown,
    options?: { signal?: AbortSignal; headers?: Record<string, string> },
  ): Promise<JsonResponse>;
}

/**
 * The same policy as `createHttpClient` (keep-alive agents whose `lookup` checks every
 * resolved address at connect time, a hard timeout, a bounded response body, no redirects
 * followed, no proxy, no throwing on HTTP status) on `node:http` directly, without axios's
 * per-request configuration merging: for the federated POST of every page.
 */
export function createJsonClient(options: HttpClientOptions): JsonClient {
  const lookup =
    (options.lookup as never) ??
    (options.permitAddress ? (guardedLookup(options.permitAddress) as never) : undefined);
  const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 64, lookup });
  const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 64, lookup });
  const baseHeaders = {
    'content-type': 'application/json',
    accept: 'application/json',
    ...options.headers,
  };
  return {
    post(url, body, requestOptions = {}) {
      return new Promise<JsonResponse>((resolve, reject) => {
        const payload = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8');
        const secure = url.startsWith('https:');
        let settled = false;
        const fail = (err: Error) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          reject(err);
        };
        const req = (secure ? httpsRequest : httpRequest)(url, {
          method: 'POST',
          agent: secure ? httpsAgent : httpAgent,
          headers: {
            ...baseHeaders,
            ...requestOptions.headers,
            'content-length': String(payload.length),
          },
          signal: requestOptions.signal,
        });
        const timer = setTimeout(() => {
          const error: NodeJS.ErrnoException = new Error(
            `timeout of ${options.timeoutMs} ms exceeded`,
          );
          error.code = 'ETIMEDOUT';
          fail(error);
          req.destroy(error);
        }, options.timeoutMs);
        req.on('error', fail);
        req.on('response', (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > options.maxBodyBytes) {
              const error: NodeJS.ErrnoException = new Error(
                `response body over ${options.maxBodyBytes} bytes`,
              );
              error.code = 'ERR_BODY_TOO_LARGE';
              fail(error);
              res.destroy();
              return;
            }
            chunks.push(chunk);
          });
          res.on('error', fail);
          res.on('aborted', () => fail(new Error('the response was cut short')));
          res.on('end', () => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            const text = Buffer.concat(chunks).toString('utf8');
            let data: unknown = text;
            try {
              data = text === '' ? '' : JSON.parse(text);
            } catch {
              /* not JSON: the text itself, as axios answers */
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, data });
          });
        });
        req.end(payload);
      });
    },
  };
}
