import { setTimeout as sleepFor } from 'node:timers/promises';
import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { JsonLogger, createHttpClient } from '@pager/server-kit';
import type { AxiosInstance } from 'axios';
import { AdapterMetrics } from '../common/adapter-metrics';
import type { AdapterConfig } from '../config/adapter-config';
import { ADAPTER_CONFIG } from '../config/adapter-config.module';

export type WebhookEvent =
  | 'message.received'
  | 'message.delivered'
  | 'message.failed'
  | 'message.rejected';

const WEBHOOK_TIMEOUT_MS = 5_000;
const WEBHOOK_ATTEMPTS = 4;
const WEBHOOK_FIRST_BACKOFF_MS = 500;

/**
 * Tells the pager tool about pages (PAGER_WEBHOOK_URL). Fire and forget, called after the
 * page is committed: the page is already safe, so an outage only costs notifications.
 */
@Injectable()
export class WebhooksService implements OnApplicationShutdown {
  private readonly http: AxiosInstance | undefined;
  private readonly url: string | undefined;
  private stopped = false;

  constructor(
    @Inject(ADAPTER_CONFIG) config: AdapterConfig,
    @Inject(JsonLogger) private readonly logger: JsonLogger,
    @Inject(AdapterMetrics) private readonly metrics: AdapterMetrics,
  ) {
    this.url = config.pagerWebhookUrl;
    this.http = this.url
      ? createHttpClient({ timeoutMs: WEBHOOK_TIMEOUT_MS, maxBodyBytes: 64 * 1024 })
      : undefined;
  }

  emit(event: WebhookEvent, message: object): void {
    if (this.http === undefined || this.url === undefined || this.stopped) return;
    void this.post(this.http, this.url, { event, message });
  }

  onApplicationShutdown(): void {
    this.stopped = true;
  }

  private async post(http: AxiosInstance, url: string, body: object): Promise<void> {
    for (let attempt = 1; attempt <= WEBHOOK_ATTEMPTS; attempt++) {
      let error: string;
      try {
        const res = await http.post(url, body);
        if (res.status >= 200 && res.status < 300) {
          this.metrics.webhookPosts.inc({ result: 'ok' });
          return;
        }
        error = `http_${res.status}`;
      } catch (err) {
        error = (err as Error).message;
      }
      if (attempt === WEBHOOK_ATTEMPTS || this.stopped) {
        this.metrics.webhookPosts.inc({ result: 'failed' });
        this.logger.event(
          'webhook.failed',
          { event: (body as { event: string }).event, error, attempts: attempt },
          'warn',
        );
        return;
      }
      this.metrics.webhookPosts.inc({ result: 'retry' });
      await sleepFor(WEBHOOK_FIRST_BACKOFF_MS * 2 ** (attempt - 1), undefined, { ref: false });
    }
  }
}
