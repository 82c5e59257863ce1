import { CreateRateLimits1764100000000 } from '@pager/server-kit';
import { CreateAdapterTables1764200000000 } from './1764200000000-create-adapter-tables';
import { AttemptDigests1764300000000 } from './1764300000000-attempt-digests';
import { DeliveryAttempts1764310000000 } from './1764310000000-delivery-attempts';
import { Destinations1764320000000 } from './1764320000000-destinations';
import { WebhookEvents1764330000000 } from './1764330000000-webhook-events';
import { TraceContext1764345000000 } from './1764345000000-trace-context';
import { OutboxClaimIndexes1764400000000 } from './1764400000000-outbox-claim-indexes';
import { QueueClaimed1764500000000 } from './1764500000000-queue-claimed';
import { UnprovenDestinationCap1764600000000 } from './1764600000000-unproven-destination-cap';

// Applied in order at start-up; never edit a migration that has shipped, add a new one.
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const ADAPTER_MIGRATIONS: Function[] = [
  CreateRateLimits1764100000000,
  CreateAdapterTables1764200000000,
  AttemptDigests1764300000000,
  DeliveryAttempts1764310000000,
  Destinations1764320000000,
  WebhookEvents1764330000000,
  TraceContext1764345000000,
  OutboxClaimIndexes1764400000000,
  QueueClaimed1764500000000,
  UnprovenDestinationCap1764600000000,
];
