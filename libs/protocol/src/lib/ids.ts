import { randomBytes } from 'node:crypto';

// Receivers accept 8 to 32 hex digits (other implementations may use shorter ids);
// we always send 32, i.e. 128 random bits.
export const MESSAGE_ID_RE = /^MSG-[0-9A-F]{8,32}$/;
export const QUERY_ID_RE = /^QUERY-[0-9A-F]{8,32}$/;
export const GOSSIP_ID_RE = /^GOSSIP-[0-9A-F]{8,32}$/;

function randomId(prefix: string): string {
  return prefix + randomBytes(16).toString('hex').toUpperCase();
}

export const newMessageId = (): string => randomId('MSG-');
export const newQueryId = (): string => randomId('QUERY-');
export const newGossipId = (): string => randomId('GOSSIP-');
