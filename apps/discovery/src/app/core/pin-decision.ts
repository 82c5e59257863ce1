/**
 * Pin decisions (docs/protocol.md §2 pinning and rotation; §14 careful first contact): what a
 * verified announcement does to the pin of its server. Pure: the pin store reads the state,
 * calls `decidePin` inside its transaction and applies the answer.
 *
 * Careful first contact: with `required` = k > 1, a server without a pin is pinned only once
 * its key has reached us by k distinct paths with no path disagreeing. A path is `direct`
 * (the server's own gossip, or a `GET {discovery}/announcement` of ours) or the server id of
 * the neighbour that relayed the announcement or answered our flooded query. With k = 1 the
 * first path pins (plain trust on first use).
 */

/** A path by which a key reached us: `direct`, or the relaying / answering server's id. */
export type PinPath = string;
export const DIRECT_PATH: PinPath = 'direct';

/** How the incoming announcement's `rotation_signature` stands against the pinned key. */
export type RotationProof = 'valid' | 'invalid' | 'absent';

/** One recorded confirmation of a server not pinned yet: a fingerprint seen via a path. */
export interface PinConfirmation {
  fingerprint: string;
  path: PinPath;
}

export interface PinDecisionInput {
  /** Fingerprint pinned for the server, or null when none is. */
  pinned: string | null;
  /** Confirmations recorded while the server is not pinned (ignored once it is). */
  confirmations: readonly PinConfirmation[];
  incoming: {
    fingerprint: string;
    path: PinPath;
    /** Only looked at when a pin exists and the fingerprint differs from it. */
    rotation: RotationProof;
    /**
     * Whether the path is an established identity: `direct`, or a relay by a server we have
     * pinned. A relay by a server not pinned itself confirms nothing (anyone can invent
     * relaying servers), and cannot block a pin either.
     */
    pathEstablished: boolean;
  };
  /** PIN_CONFIRMATIONS: distinct paths needed before a first pin, 1 to 10. */
  required: number;
  /** An operator-configured bootstrap server fetched directly: pinned at first contact. */
  trustAnchor?: boolean;
}

export type PinDecision =
  /** The key is the pinned one: nothing changes. */
  | { kind: 'keep' }
  /** First pin: `paths` are the distinct paths that agreed (at least `required`). */
  | { kind: 'pin'; paths: PinPath[] }
  /** Not pinned yet: `paths` agree so far; `newPath` when this copy adds one. */
  | { kind: 'pending'; paths: PinPath[]; newPath: boolean }
  /** Not pinned, and the copy came by a path that is not established: it counts for nothing. */
  | { kind: 'unconfirmed' }
  /** A valid rotation: the pin moves from `from` to the incoming fingerprint. */
  | { kind: 'rotate'; from: string }
  /**
   * A key conflict, refused. `pinned_key_differs`: another key without rotation_signature;
   * `forged_rotation`: a rotation_signature that does not verify with the pinned key;
   * `paths_disagree`: paths brought different keys for a server not pinned yet (no pin
   * until the operator forgets it). `newPath`: this (path, fingerprint) was not recorded.
   */
  | {
      kind: 'conflict';
      reason: 'pinned_key_differs' | 'forged_rotation' | 'paths_disagree';
      fingerprints: string[];
      newPath: boolean;
    };

/**
 * Decides what one verified announcement does to its server's pin. Never throws; a
 * `required` outside 1..10 is clamped.
 */
export function decidePin(input: PinDecisionInput): PinDecision {
  const { pinned, incoming } = input;
  if (pinned !== null) {
    if (pinned === incoming.fingerprint) return { kind: 'keep' };
    if (incoming.rotation === 'valid') return { kind: 'rotate', from: pinned };
    return {
      kind: 'conflict',
      reason: incoming.rotation === 'invalid' ? 'forged_rotation' : 'pinned_key_differs',
      fingerprints: [pinned, incoming.fingerprint],
      newPath: true,
    };
  }
  if (!incoming.pathEstablished) return { kind: 'unconfirmed' };
  const required = Math.min(10, Math.max(1, Math.floor(input.required) || 1));
  const newPath = !input.confirmations.some(
    (c) => c.path === incoming.path && c.fingerprint === incoming.fingerprint,
  );
  const fingerprints = distinct([
    ...input.confirmations.map((c) => c.fingerprint),
    incoming.fingerprint,
  ]);
  if (fingerprints.length > 1) {
    return { kind: 'conflict', reason: 'paths_disagree', fingerprints, newPath };
  }
  const paths = distinct([...input.confirmations.map((c) => c.path), incoming.path]);
  if (input.trustAnchor === true || paths.length >= required) return { kind: 'pin', paths };
  return { kind: 'pending', paths, newPath };
}

/**
 * The path of an announcement that `via` passed on (null: we fetched it ourselves): the
 * server itself (its own gossip, or our fetch) is `direct`, anyone else is the relay.
 */
export function pinPathOf(serverId: string, via: string | null): PinPath {
  return via === null || via === serverId ? DIRECT_PATH : via;
}

function distinct(values: string[]): string[] {
  return [...new Set(values)].sort();
}
