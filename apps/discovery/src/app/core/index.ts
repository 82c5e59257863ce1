// The discovery daemon's own functional core: pure decisions over plain data. Services call
// these and do the I/O; nothing here reads the clock, the network or the database. The
// gossip steps, digests and neighbour choice live in @pager/gossip-core.
export * from './query-flooding';
export * from './endpoint-policy';
export * from './reputation';
export * from './key-rotation';
export * from './pin-decision';
export * from './pin-history';
