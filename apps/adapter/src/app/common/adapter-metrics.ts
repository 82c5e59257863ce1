import { Counter, Registry } from 'prom-client';

/** Prometheus counters of the federation traffic (registered once per service registry). */
export class AdapterMetrics {
  readonly deliveryAttempts: Counter<'result'>;
  readonly deliveryOutcomes: Counter<'status'>;
  readonly inboundMessages: Counter<'result'>;
  readonly localMessages: Counter;
  readonly webhookPosts: Counter<'result'>;

  constructor(registry: Registry) {
    this.deliveryAttempts = new Counter({
      name: 'adapter_delivery_attempts_total',
      help: 'Outbound delivery attempts by result (delivered, rejected, retry, failed, postponed)',
      labelNames: ['result'],
      registers: [registry],
    });
    this.deliveryOutcomes = new Counter({
      name: 'adapter_delivery_outcomes_total',
      help: 'Outbound pages that reached a final status',
      labelNames: ['status'],
      registers: [registry],
    });
    this.inboundMessages = new Counter({
      name: 'adapter_inbound_messages_total',
      help: 'Federated messages received, by result (delivered, rejected, duplicate, or the error code)',
      labelNames: ['result'],
      registers: [registry],
    });
    this.localMessages = new Counter({
      name: 'adapter_local_messages_total',
      help: 'Pages delivered between users of this server',
      registers: [registry],
    });
    this.webhookPosts = new Counter({
      name: 'adapter_webhook_posts_total',
      help: 'Webhook deliveries by result (ok, retry, failed)',
      labelNames: ['result'],
      registers: [registry],
    });
  }
}
