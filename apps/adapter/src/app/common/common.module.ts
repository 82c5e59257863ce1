import { Global, Module } from '@nestjs/common';
import { RateLimitStore } from '@pager/server-kit';
import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { AdapterMetrics } from './adapter-metrics';

/** Adapter-wide helpers built from the platform's registry and database. */
@Global()
@Module({
  providers: [
    {
      provide: AdapterMetrics,
      useFactory: (r: Registry) => new AdapterMetrics(r),
      inject: [Registry],
    },
    {
      provide: RateLimitStore,
      useFactory: (d: DataSource) => new RateLimitStore(d),
      inject: [DataSource],
    },
  ],
  exports: [AdapterMetrics, RateLimitStore],
})
export class CommonModule {}
