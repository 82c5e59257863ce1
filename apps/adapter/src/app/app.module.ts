import { DynamicModule, Module } from '@nestjs/common';
import { PlatformDependencies, PlatformModule, publicPathOf } from '@pager/server-kit';
import { CommonModule } from './common/common.module';
import type { AdapterConfig } from './config/adapter-config';
import { ADAPTER_CONFIG, AdapterConfigModule } from './config/adapter-config.module';
import { ContactsModule } from './contacts/contacts.module';
import { DeliveryModule } from './delivery/delivery.module';
import { InboundModule } from './inbound/inbound.module';
import { MessagesModule } from './messages/messages.module';
import { StatusModule } from './status/status.module';
import { UsersModule } from './users/users.module';

export { ADAPTER_CONFIG };

@Module({})
export class AppModule {
  static forRoot(deps: PlatformDependencies & { config: AdapterConfig }): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PlatformModule.forRoot(deps),
        AdapterConfigModule.forRoot(deps.config),
        CommonModule,
        UsersModule,
        ContactsModule,
        MessagesModule,
        DeliveryModule,
        StatusModule,
        InboundModule.at(publicPathOf(deps.config.federationPublicUrl)),
      ],
    };
  }
}
