// The gossip core (PROTOCOL.md section 3): pure steps over plain data, shared by the
// discovery daemon and the simulator. Nothing here does I/O or reads the clock; ESLint
// forbids NestJS, TypeORM, PostgreSQL and HTTP clients in this library.
export * from './lib/gossip-state';
export * from './lib/gossip-table';
export * from './lib/exchange';
export * from './lib/neighbour-selection';
export * from './lib/seeded-rng';
export * from './lib/simulation';
