import { DynamicModule, Module } from '@nestjs/common';
import { PlatformDependencies, PlatformModule } from '@pager/server-kit';
import type { DiscoveryConfig } from './config/discovery-config';

export const DISCOVERY_CONFIG = Symbol('DISCOVERY_CONFIG');

@Module({})
export class AppModule {
  static forRoot(deps: PlatformDependencies & { config: DiscoveryConfig }): DynamicModule {
    return {
      module: AppModule,
      imports: [PlatformModule.forRoot(deps)],
      providers: [{ provide: DISCOVERY_CONFIG, useValue: deps.config }],
    };
  }
}
