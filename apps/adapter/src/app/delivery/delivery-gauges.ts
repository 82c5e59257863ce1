import { Inject, Injectable } from '@nestjs/common';
import { Gauge, Registry } from 'prom-client';
import { MessageStore } from '../messages/message.store';
import { DestinationStore } from './destination.store';

/**
 * The delivery gauges the alerts of k8s/observability read (docs/metrics.md), computed from
 * PostgreSQL at each scrape, so every replica reports the shared state:
 * - `adapter_destinations{state}`: destinations in each delivery state;
 * - `adapter_outbox_oldest_age_seconds`: age of the oldest page still queued or sending.
 * A scrape during a database outage leaves the last values (the database alerts fire then).
 */
@Injectable()
export class DeliveryGauges {
  constructor(
    @Inject(Registry) registry: Registry,
    @Inject(DestinationStore) destinations: DestinationStore,
    @Inject(MessageStore) messages: MessageStore,
  ) {
    new Gauge({
      name: 'adapter_destinations',
      help: 'Destinations by delivery state (healthy, backing_off, unreachable, stopped)',
      labelNames: ['state'],
      registers: [registry],
      async collect() {
        const counts = await destinations.countByState().catch(() => undefined);
        if (counts === undefined) return;
        for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
      },
    });
    new Gauge({
      name: 'adapter_outbox_oldest_age_seconds',
      help: 'Age of the oldest federated page still queued or sending, in seconds (0: none)',
      registers: [registry],
      async collect() {
        const age = await messages.oldestWaitingAgeSeconds(Date.now()).catch(() => undefined);
        if (age !== undefined) this.set(age);
      },
    });
  }
}
