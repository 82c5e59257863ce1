import { Module } from '@nestjs/common';
import { DiscoveryClientModule } from '../discovery-client/discovery-client.module';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { DeliveryOutbox } from './delivery-outbox';
import { DeliveryScheduler } from './delivery.scheduler';
import { DeliveryService } from './delivery.service';

@Module({
  imports: [DiscoveryClientModule, WebhooksModule],
  providers: [DeliveryOutbox, DeliveryService, DeliveryScheduler],
  exports: [DeliveryScheduler],
})
export class DeliveryModule {}
