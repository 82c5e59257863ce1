import { InternalApiClientOptions, InternalApiHttpClient } from './http-json-client';
import type { KeyReloadAnswer, KeysAnswer, ReadinessAnswer } from './types';

/**
 * The routes both services' internal APIs have (SERVICES.md: health, metrics, keys); the
 * adapter's and the daemon's clients add their own.
 */
export abstract class ServiceApiClient {
  readonly http: InternalApiHttpClient;

  constructor(options: InternalApiClientOptions) {
    this.http = new InternalApiHttpClient(options);
  }

  /** `GET /health/ready`; a `503` throws InternalApiError with the checks in `message`. */
  ready(): Promise<ReadinessAnswer> {
    return this.http.request('GET', '/health/ready');
  }

  /** `GET /api/v1/keys`: the key in use and the key being rotated away from. */
  keys(): Promise<KeysAnswer> {
    return this.http.request('GET', '/api/v1/keys');
  }

  /** `POST /api/v1/keys/reload`: re-read PRIVATE_KEY_PATH and PREVIOUS_KEY_PATH now. */
  reloadKeys(): Promise<KeyReloadAnswer> {
    return this.http.request('POST', '/api/v1/keys/reload');
  }

  /** `GET /metrics` (Prometheus text). */
  metrics(): Promise<string> {
    return this.http.request('GET', '/metrics', { as: 'text' });
  }
}
