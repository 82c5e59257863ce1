import { DynamicModule, Module } from '@nestjs/common';
import { DeliveryModule } from '../delivery/delivery.module';
import { DiscoveryClientModule } from '../discovery-client/discovery-client.module';
import { MessageStoreModule } from '../messages/message-store.module';
import { UsersModule } from '../users/users.module';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { inboundControllerAt } from './inbound.controller';
import { InboundService } from './inbound.service';

@Module({})
export class InboundModule {
  static at(publicPath: string): DynamicModule {
    return {
      module: InboundModule,
      imports: [
        DiscoveryClientModule,
        UsersModule,
        WebhooksModule,
        DeliveryModule,
        MessageStoreModule,
      ],
      controllers: [inboundControllerAt(publicPath)],
      providers: [InboundService],
    };
  }
}
