import { MAX_GOSSIP_BODY_BYTES, MAX_QUERY_BODY_BYTES } from '@pager/protocol';
import { ServiceDefinition } from '@pager/server-kit';
import { AppModule } from './app.module';
import { DiscoveryConfig, loadDiscoveryConfig } from './config/discovery-config';
import { DISCOVERY_ENTITIES } from './database/entities';
import { DISCOVERY_MIGRATIONS } from './database/migrations';

export const discoveryService: ServiceDefinition<DiscoveryConfig> = {
  name: 'discovery',
  title: 'Pager federation discovery daemon',
  loadConfig: loadDiscoveryConfig,
  port: (config) => config.discoveryPort,
  database: { entities: DISCOVERY_ENTITIES, migrations: DISCOVERY_MIGRATIONS },
  bodyLimits: {
    default: MAX_QUERY_BODY_BYTES,
    // Gossip envelopes carry up to 500 announcements; peer files can be long too.
    bySuffix: { '/gossip': MAX_GOSSIP_BODY_BYTES, '/api/v1/peers/import': MAX_GOSSIP_BODY_BYTES },
  },
  createModule: (deps) => AppModule.forRoot(deps),
};
