import { Module } from '@nestjs/common';
import { DiscoveryClientModule } from '../discovery-client/discovery-client.module';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { DeliveryOutbox } from './delivery-outbox';
import { DestinationStore } from './destination.store';
import { DestinationsController } from './destinations.controller';
import { DestinationsService } from './destinations.service';
import { DeliveryScheduler } from './delivery.scheduler';
import { DeliveryService } from './delivery.service';

@Module({
  imports: [DiscoveryClientModule, WebhooksModule],
  controllers: [DestinationsController],
  providers: [
    DeliveryOutbox,
    DeliveryService,
    DeliveryScheduler,
    DestinationStore,
    DestinationsService,
  ],
  exports: [DeliveryScheduler, DestinationStore, DeliveryOutbox],
})
export class DeliveryModule {}
