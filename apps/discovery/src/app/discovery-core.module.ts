import { DynamicModule, Global, Module } from '@nestjs/common';
import { RateLimitStore, createHttpClient, createJsonClient } from '@pager/server-kit';
import { MAX_GOSSIP_BODY_BYTES, isPermittedAddress } from '@pager/protocol';
import { DataSource } from 'typeorm';
import { DISCOVERY_CONFIG, DiscoveryConfig } from './config/discovery-config';
import { ChangeFeed } from './database/change-feed';
import { DiscoveryMetrics } from './metrics/discovery-metrics';
import { EndpointChecker } from './common/endpoint-checker';
import { HOST_RESOLVER, HostResolver, systemHostResolver } from './common/host-resolver';
import { GOSSIP_HTTP, PEER_HTTP } from './common/peer-http';
import { connectThroughResolver, resolverLookup } from './common/resolver-lookup';

export interface DiscoveryCoreOptions {
  config: DiscoveryConfig;
  /** Tests inject a resolver; the daemon uses the system's. */
  hostResolver?: HostResolver;
}

/** What every discovery module uses: config, metrics, rate limits, endpoint policy, HTTP to peers. */
@Global()
@Module({})
export class DiscoveryCoreModule {
  static forRoot(options: DiscoveryCoreOptions): DynamicModule {
    const resolver = options.hostResolver ?? systemHostResolver;
    const permit = (ip: string): boolean =>
      isPermittedAddress(ip, options.config.allowPrivateEndpoints);
    const providers = [
      { provide: DISCOVERY_CONFIG, useValue: options.config },
      { provide: HOST_RESOLVER, useValue: resolver },
      {
        provide: PEER_HTTP,
        // Connections re-check every address through the same resolver as the policy.
        useValue: connectThroughResolver(
          createHttpClient({
            timeoutMs: 10_000,
            maxBodyBytes: MAX_GOSSIP_BODY_BYTES,
            permitAddress: permit,
          }),
          resolver,
          permit,
        ),
      },
      {
        provide: GOSSIP_HTTP,
        useValue: createJsonClient({
          timeoutMs: 10_000,
          maxBodyBytes: MAX_GOSSIP_BODY_BYTES,
          lookup: resolverLookup(resolver, permit),
        }),
      },
      {
        provide: RateLimitStore,
        useFactory: (dataSource: DataSource) => new RateLimitStore(dataSource),
        inject: [DataSource],
      },
      DiscoveryMetrics,
      EndpointChecker,
      ChangeFeed,
    ];
    return {
      module: DiscoveryCoreModule,
      providers,
      exports: providers.map((p) => ('provide' in p ? p.provide : p)),
    };
  }
}
