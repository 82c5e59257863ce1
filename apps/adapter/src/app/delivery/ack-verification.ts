import { KeyObject } from 'node:crypto';
import {
  Ack,
  AckDto,
  isSupportedVersion,
  messageDigest,
  validateWire,
  verifyObjectSignature,
} from '@pager/protocol';

export type AckVerification = { ok: true; ack: Ack } | { ok: false; error: string };

/**
 * Checks the ack a receiver answered for `sentMessage` (exactly the signed object we sent):
 * well-formed, signed by `recipientKey` (the key pinned for the destination; or by any of a
 * list, e.g. the pinned key and the one a rotation just moved away from), naming the same
 * message_id, from `expectedServer`, with the digest of what we sent now or of any earlier
 * attempt of the same page (`earlierDigests`, lowercase hex SHA-256): PROTOCOL.md section 5,
 * a receiver answers a repeat with the digest of the copy it stored, so after a lost ack the
 * ack to a retry names the first attempt that arrived.
 */
export function verifyAck(
  ack: unknown,
  sentMessage: object,
  recipientKey: KeyObject | readonly KeyObject[],
  expectedServer: string,
  earlierDigests: readonly string[] = [],
): AckVerification {
  const checked = validateWire(AckDto, ack);
  if (!checked.ok) return { ok: false, error: `ack_invalid: ${checked.errors.join('; ')}` };
  const value = checked.value;
  if (!isSupportedVersion(value.version)) return { ok: false, error: 'ack_unsupported_version' };
  const keys = Array.isArray(recipientKey) ? recipientKey : [recipientKey as KeyObject];
  if (!keys.some((key) => verifyObjectSignature(ack as object, key)))
    return { ok: false, error: 'ack_signature_invalid' };
  const sentId = (sentMessage as { message_id?: unknown }).message_id;
  if (value.message_id !== sentId) return { ok: false, error: 'ack_message_id_mismatch' };
  if (value.recipient_server !== expectedServer) return { ok: false, error: 'ack_wrong_server' };
  if (
    !earlierDigests.includes(value.message_digest) &&
    value.message_digest !== messageDigest(sentMessage)
  )
    return { ok: false, error: 'ack_digest_mismatch' };
  return { ok: true, ack: ack as Ack };
}
