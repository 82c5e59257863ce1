export * from './lib/types';
export * from './lib/errors';
export * from './lib/http-json-client';
export * from './lib/service-api.client';
export * from './lib/discovery-api.client';
export * from './lib/adapter-api.client';
