import axios, { AxiosInstance } from 'axios';
import { LookupAddress, LookupAllOptions, lookup as dnsLookup } from 'node:dns';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';

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
