import { DynamicModule, Module } from '@nestjs/common';
import { PlatformDependencies, PlatformModule } from '@pager/server-kit';
import type { AdapterConfig } from './config/adapter-config';

export const ADAPTER_CONFIG = Symbol('ADAPTER_CONFIG');

@Module({})
export class AppModule {
  static forRoot(deps: PlatformDependencies & { config: AdapterConfig }): DynamicModule {
    return {
      module: AppModule,
      imports: [PlatformModule.forRoot(deps)],
      providers: [{ provide: ADAPTER_CONFIG, useValue: deps.config }],
    };
  }
}
