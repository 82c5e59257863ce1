// Every TypeORM entity of the discovery schema.
export const DISCOVERY_ENTITIES: Function[] = [];
