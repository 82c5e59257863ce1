import { MAX_MESSAGE_BODY_BYTES } from '@pager/protocol';
import { ServiceDefinition } from '@pager/server-kit';
import { AppModule } from './app.module';
import { AdapterConfig, loadAdapterConfig } from './config/adapter-config';
import { ADAPTER_ENTITIES } from './database/entities';
import { ADAPTER_MIGRATIONS } from './database/migrations';

export const adapterService: ServiceDefinition<AdapterConfig> = {
  name: 'adapter',
  title: 'Pager federation adapter',
  loadConfig: loadAdapterConfig,
  port: (config) => config.adapterPort,
  database: { entities: ADAPTER_ENTITIES, migrations: ADAPTER_MIGRATIONS },
  bodyLimits: { default: MAX_MESSAGE_BODY_BYTES },
  createModule: (deps) => AppModule.forRoot(deps),
};
