// The discovery daemon's functional core: pure decisions over plain data. Services call
// these and do the I/O; nothing here reads the clock, the network or the database.
export * from './gossip-state';
export * from './neighbour-selection';
export * from './query-flooding';
export * from './endpoint-policy';
export * from './reputation';
export * from './seeded-rng';
