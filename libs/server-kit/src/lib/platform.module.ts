import { DynamicModule, Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import type { CommonConfig } from './config/common-config';
import { DatabaseMonitor } from './database/database-monitor';
import { HealthController } from './health/health.controller';
import { InternalApiGuard } from './http/internal-api.guard';
import { KeysController } from './keys/keys.controller';
import { ServerKey } from './keys/server-key';
import { COMMON_CONFIG } from './platform.tokens';
import { JsonLogger } from './logging/json-logger';
import { MetricsController } from './metrics/metrics.controller';

export { COMMON_CONFIG } from './platform.tokens';

export interface PlatformDependencies {
  config: CommonConfig;
  logger: JsonLogger;
  registry: Registry;
  serverKey: ServerKey;
  dataSource: DataSource;
  /**
   * Outage tracking for the database: background jobs that catch a database error call
   * `databaseMonitor.failure(classifyDatabaseError(err), err)` instead of logging each one.
   */
  databaseMonitor: DatabaseMonitor;
}

/**
 * What every service has: config, logger, metrics, the server key, the database, health,
 * metrics and key (`/api/v1/keys`) routes, and the internal-API guard. Built from objects made in main.ts,
 * so that start-up order (key, database, then HTTP) stays explicit.
 */
@Global()
@Module({})
export class PlatformModule {
  static forRoot(deps: PlatformDependencies): DynamicModule {
    const providers = [
      { provide: COMMON_CONFIG, useValue: deps.config },
      { provide: JsonLogger, useValue: deps.logger },
      { provide: Registry, useValue: deps.registry },
      { provide: ServerKey, useValue: deps.serverKey },
      { provide: DataSource, useValue: deps.dataSource },
      { provide: DatabaseMonitor, useValue: deps.databaseMonitor },
    ];
    return {
      module: PlatformModule,
      controllers: [HealthController, MetricsController, KeysController],
      providers: [
        ...providers,
        { provide: APP_GUARD, useValue: new InternalApiGuard(deps.config.internalApiToken) },
      ],
      exports: providers.map((p) => p.provide),
    };
  }
}
