import { BlockRecord } from '../blocklist/blocklist.entity';
import { PeerCandidateRecord } from '../peers/peer-candidate.entity';
import { PeerRecord } from '../peers/peer.entity';
import { PinRecord } from '../pins/pin.entity';
import { ReputationRecord } from '../reputation/reputation.entity';

// The TypeORM entities the discovery daemon reads through repositories. The other tables
// (reputation_reports, gossip_exchanges, seen_queries, negative_cache, rate_limits) are
// written and read with SQL by their one store each, and are described by the migrations
// only: an entity class nothing queries would be a second, unchecked description.
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const DISCOVERY_ENTITIES: Function[] = [
  PeerRecord,
  PeerCandidateRecord,
  PinRecord,
  BlockRecord,
  ReputationRecord,
];
