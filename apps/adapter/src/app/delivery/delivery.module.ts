import { Module } from '@nestjs/common';
import { DiscoveryClientModule } from '../discovery-client/discovery-client.module';
import { MessageStoreModule } from '../messages/message-store.module';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { DeliveryGauges } from './delivery-gauges';
import { DestinationStore } from './destination.store';
import { DestinationsController } from './destinations.controller';
import { DestinationsService } from './destinations.service';
import { DeliveryScheduler } from './delivery.scheduler';
import { DeliveryService } from './delivery.service';
import { StatusController } from './status.controller';

@Module({
  imports: [DiscoveryClientModule, WebhooksModule, MessageStoreModule],
  controllers: [DestinationsController, StatusController],
  providers: [
    DeliveryService,
    DeliveryScheduler,
    DestinationStore,
    DestinationsService,
    DeliveryGauges,
  ],
  exports: [DeliveryScheduler, DeliveryService, DestinationStore],
})
export class DeliveryModule {}
