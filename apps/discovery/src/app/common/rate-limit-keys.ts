/** Rate-limit keys per verified sending server: `srv:<server_id>:<traffic>`. */
export type Traffic = 'gossip' | 'query';

export const rateLimitKey = (serverId: string, traffic: Traffic): string =>
  `srv:${serverId}:${traffic}`;

/** Every limit of one server, for its violation count. */
export const rateLimitPrefix = (serverId: string): string => `srv:${serverId}:`;
