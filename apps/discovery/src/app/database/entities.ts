import { BlockRecord } from '../blocklist/blocklist.entity';
import { GossipExchangeRecord } from '../gossip/gossip-exchange.entity';
import { PeerCandidateRecord } from '../peers/peer-candidate.entity';
import { PeerRecord } from '../peers/peer.entity';
import { PinRecord } from '../pins/pin.entity';
import { ReputationRecord, ReputationReportRecord } from '../reputation/reputation.entity';
import { NegativeCacheRecord, SeenQueryRecord } from '../routing/query-cache.entity';

// Every TypeORM entity of the discovery schema.
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const DISCOVERY_ENTITIES: Function[] = [
  PeerRecord,
  PeerCandidateRecord,
  PinRecord,
  BlockRecord,
  ReputationRecord,
  ReputationReportRecord,
  GossipExchangeRecord,
  SeenQueryRecord,
  NegativeCacheRecord,
];
