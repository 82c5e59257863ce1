import axios, { AxiosInstance } from 'axios';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';

export interface HttpClientOptions {
  timeoutMs: number;
  maxBodyBytes: number;
  headers?: Record<string, string>;
}

/**
 * An axios instance for server-to-server and service-to-service calls: keep-alive
 * connections, a hard timeout, bounded response size, no redirects (a redirect could
 * point a signed request into a private network), and no throwing on HTTP status.
 */
export function createHttpClient(options: HttpClientOptions): AxiosInstance {
  return axios.create({
    timeout: options.timeoutMs,
    maxContentLength: options.maxBodyBytes,
    maxBodyLength: options.maxBodyBytes,
    maxRedirects: 0,
    validateStatus: () => true,
    httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 64 }),
    httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 64 }),
    headers: { 'content-type': 'application/json', ...options.headers },
    proxy: false,
    transitional: { clarifyTimeoutError: true },
  });
}
