import { CreateRateLimits1764100000000 } from '@pager/server-kit';
import { ChangeNotify1765200000000 } from './change-notify.migration';
import { CandidatePacing1764612345000 } from './candidate-pacing.migration';
import { InitialDiscoverySchema1764200000000 } from './initial-discovery-schema.migration';
import { KeyRotation1764700000000 } from './key-rotation.migration';
import { PinConfirmationsAndHistory1765000000000 } from './pin-confirmations-history.migration';
import { PeersReceivedAtIndex1764590400000 } from './peers-received-at-index.migration';
import { PeersVersion1765100000000 } from './peers-version.migration';
import { ReputationRateLimitViolations1765300000000 } from './reputation-rate-limit-violations.migration';

// Applied in order at start-up; never edit a migration that has shipped, add a new one.
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const DISCOVERY_MIGRATIONS: Function[] = [
  CreateRateLimits1764100000000,
  InitialDiscoverySchema1764200000000,
  CandidatePacing1764612345000,
  KeyRotation1764700000000,
  PinConfirmationsAndHistory1765000000000,
  PeersReceivedAtIndex1764590400000,
  PeersVersion1765100000000,
  ChangeNotify1765200000000,
  ReputationRateLimitViolations1765300000000,
];
