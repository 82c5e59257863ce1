// Every TypeORM entity of the adapter schema.
export const ADAPTER_ENTITIES: Function[] = [];
