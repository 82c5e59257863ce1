import type { RejectReason } from '@pager/protocol';

/** Who may page a user: anyone, or only the user's contacts. */
export type AcceptPolicy = 'anyone' | 'contacts';

export interface RecipientRules {
  acceptPolicy: AcceptPolicy;
  /** Blocked sender addresses, lowercase `user@server`. */
  blockedAddresses: readonly string[];
  /** The recipient's contacts' addresses, lowercase `user@server`. */
  contactAddresses: readonly string[];
}

/** Whether a recipient takes a page from `senderAddress`: null if so, else the reason. */
export function refusalReason(rules: RecipientRules, senderAddress: string): RejectReason | null {
  const sender = senderAddress.toLowerCase();
  if (rules.blockedAddresses.includes(sender)) return 'blocked_by_recipient';
  if (rules.acceptPolicy === 'contacts' && !rules.contactAddresses.includes(sender)) {
    return 'recipient_not_accepting';
  }
  return null;
}
