import { DynamicModule, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { OpenAPIObject } from '@nestjs/swagger';
import type { DataSource } from 'typeorm';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { CommonConfig } from './config/common-config';
import { ConfigError, Env } from './config/env-reader';
import { DatabaseMonitor } from './database/database-monitor';
import {
  DatabaseConnectError,
  OpenDatabaseOptions,
  databaseOptionsFrom,
  openDatabase,
} from './database/open-database';
import { BodyLimits, createHttpApp, createOpenApiDocument } from './http/create-http-app';
import { ServerKey, loadServerKeys } from './keys/server-key';
import { JsonLogger } from './logging/json-logger';
import { createMetricsRegistry } from './metrics/metrics-registry';
import { PlatformDependencies } from './platform.module';

export interface ServiceDefinition<C extends CommonConfig> {
  name: CommonConfig['serviceName'];
  title: string;
  loadConfig(env: Env): C;
  port(config: C): number;
  database: Pick<OpenDatabaseOptions, 'entities' | 'migrations' | 'connectionTimeoutMs'>;
  bodyLimits: BodyLimits;
  createModule(deps: PlatformDependencies & { config: C }): DynamicModule;
}

export interface RunningService<C extends CommonConfig> {
  app: NestFastifyApplication;
  config: C;
  logger: JsonLogger;
  /** Stops taking work, lets in-flight work finish, closes the database. */
  close(): Promise<void>;
}

export interface StartOptions {
  /** Where log lines go (default: stdout); tests capture them here. */
  writeLog?: (line: string) => void;
}

/** Boots a service: config, key, database and migrations, then HTTP. */
export async function startService<C extends CommonConfig>(
  definition: ServiceDefinition<C>,
  env: Env = process.env,
  options: StartOptions = {},
): Promise<RunningService<C>> {
  const config = definition.loadConfig(env);
  const logger = new JsonLogger(definition.name, config.logLevel, options.writeLog);
  const serverKey = loadServerKeys(config);
  const database = await openDatabase(databaseOptionsFrom(config, definition.database));
  let databaseMonitor: DatabaseMonitor | undefined;
  try {
    const registry = createMetricsRegistry(definition.name);
    databaseMonitor = new DatabaseMonitor({
      probe: () => database.dataSource.query('SELECT 1'),
      sink: (name, fields, level) => logger.event(name, fields, level),
      registry,
    });
    const module = definition.createModule({
      config,
      logger,
      registry,
      serverKey,
      dataSource: database.dataSource,
      databaseMonitor,
    });
    const app = await createHttpApp(module, {
      logger,
      bodyLimits: definition.bodyLimits,
      title: definition.title,
      database: databaseMonitor,
    });
    await app.listen(definition.port(config), config.bindAddress);
    logger.event('service.started', {
      server_id: config.serverId,
      address: `${config.bindAddress}:${definition.port(config)}`,
      fingerprint: serverKey.fingerprint,
      previous_fingerprint: serverKey.previous?.fingerprint,
      database: database.embedded ? 'embedded' : 'external',
    });
    let closing: Promise<void> | undefined;
    return {
      app,
      config,
      logger,
      close: () =>
        (closing ??= (async () => {
          await app.close();
          databaseMonitor?.close();
          await database.close();
          logger.event('service.stopped');
        })()),
    };
  } catch (err) {
    databaseMonitor?.close();
    await database.close().catch(() => undefined);
    throw err;
  }
}

/** `main.ts` of a service: start, stop cleanly on SIGTERM/SIGINT within 10 s. */
export function runService<C extends CommonConfig>(definition: ServiceDefinition<C>): void {
  startService(definition).then(
    (service) => {
      const stop = (signal: string) => {
        service.logger.event('service.stopping', { signal });
        setTimeout(() => {
          service.logger.event('service.stop_timeout', {}, 'error');
          process.exit(1);
        }, 10_000).unref();
        service.close().then(
          () => process.exit(0),
          (err: Error) => {
            service.logger.event('service.stop_failed', { error: err.message }, 'error');
            process.exit(1);
          },
        );
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    },
    (err: unknown) => {
      const reason =
        err instanceof ConfigError || err instanceof DatabaseConnectError
          ? err.message
          : err instanceof Error
            ? `${err.name}: ${err.message}`
            : String(err);
      process.stderr.write(`${definition.name}: cannot start: ${reason.replace(/\s+/g, ' ')}\n`);
      process.exit(1);
    },
  );
}

/**
 * The OpenAPI document a service serves at `GET /docs`, built without starting it: no key
 * file, no database, no port. Nest builds the module graph in preview mode, so no provider
 * runs (the database and the key are never touched); only the routes and their decorators
 * are read. `npm run docs:api` renders it into docs/api.md, and each service's spec checks
 * that docs/api.md still matches it.
 *
 * @param env configuration as for `startService`; the defaults give the default public paths
 *   (`/discovery`, `/federation`).
 */
export async function buildOpenApiDocument<C extends CommonConfig>(
  definition: ServiceDefinition<C>,
  env: Env = {},
): Promise<OpenAPIObject> {
  const config = definition.loadConfig({ ...env, LOG_LEVEL: 'error' });
  const logger = new JsonLogger(definition.name, 'error');
  const module = definition.createModule({
    config,
    logger,
    registry: createMetricsRegistry(definition.name),
    // Never used: preview mode instantiates no provider.
    serverKey: undefined as unknown as ServerKey,
    dataSource: undefined as unknown as DataSource,
    databaseMonitor: undefined as unknown as DatabaseMonitor,
  });
  const app = await NestFactory.create(module as unknown as Type<unknown>, new FastifyAdapter(), {
    preview: true,
    logger: false,
    abortOnError: false,
  });
  try {
    return createOpenApiDocument(app, definition.title);
  } finally {
    await app.close();
  }
}
