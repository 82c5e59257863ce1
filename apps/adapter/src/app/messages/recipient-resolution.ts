import { parseAddress } from '@pager/protocol';
import { asciiLower, normalizeUsername } from '../common/input-rules';

export interface ContactRef {
  name: string;
  pagerAddress: string;
}

export type ResolvedRecipient =
  | { kind: 'local'; username: string; address: string }
  | { kind: 'federated'; username: string; domain: string; address: string }
  | { kind: 'invalid' };

/**
 * Where `to` goes (docs/api.md, POST /api/v1/messages): a contact name of the sender (case-insensitive,
 * the first such contact) stands for its pager address; then an address without `@` or with
 * `@<serverId>` is a local username, any other valid domain is federated.
 */
export function resolveRecipient(
  to: string,
  contacts: readonly ContactRef[],
  serverId: string,
): ResolvedRecipient {
  if (typeof to !== 'string') return { kind: 'invalid' };
  const wanted = to.trim().toLowerCase();
  const contact = contacts.find((c) => c.name.toLowerCase() === wanted);
  const address = contact ? contact.pagerAddress : to.trim();
  if (!address.includes('@')) {
    const username = normalizeUsername(address);
    return username === null
      ? { kind: 'invalid' }
      : { kind: 'local', username, address: `${username}@${serverId}` };
  }
  const parsed = parseAddress(address);
  if (parsed === null) return { kind: 'invalid' };
  const full = `${parsed.user}@${parsed.serverId}`;
  if (parsed.serverId === asciiLower(serverId))
    return { kind: 'local', username: parsed.user, address: full };
  return { kind: 'federated', username: parsed.user, domain: parsed.serverId, address: full };
}
