export * from './announcement.dto';
export * from './gossip.dto';
export * from './query.dto';
export * from './message.dto';
export * from './ack.dto';
export * from './peer-file.dto';
export * from './validate-wire';
export { WireStorableText } from './wire-rules';
