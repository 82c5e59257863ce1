import { DynamicModule, Global, Module } from '@nestjs/common';
import type { AdapterConfig } from './adapter-config';

export const ADAPTER_CONFIG = Symbol('ADAPTER_CONFIG');

/** Makes the validated adapter configuration injectable everywhere (`@Inject(ADAPTER_CONFIG)`). */
@Global()
@Module({})
export class AdapterConfigModule {
  static forRoot(config: AdapterConfig): DynamicModule {
    return {
      module: AdapterConfigModule,
      providers: [{ provide: ADAPTER_CONFIG, useValue: config }],
      exports: [ADAPTER_CONFIG],
    };
  }
}
