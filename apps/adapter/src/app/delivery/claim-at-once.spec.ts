import { mayClaimAtOnce } from './claim-at-once';

const idle = {
  stopping: false,
  inFlight: 0,
  maxInFlight: 128,
  inFlightForDestination: 0,
  perDestination: 32,
  unprovenRoom: 64,
};

describe('mayClaimAtOnce', () => {
  it('claims at once on an idle replica', () => {
    expect(mayClaimAtOnce(idle)).toBe(true);
  });

  it('queues while shutting down', () => {
    expect(mayClaimAtOnce({ ...idle, stopping: true })).toBe(false);
  });

  it('queues when every slot of this replica is taken', () => {
    expect(mayClaimAtOnce({ ...idle, inFlight: 127 })).toBe(true);
    expect(mayClaimAtOnce({ ...idle, inFlight: 128 })).toBe(false);
  });

  it('queues when this replica alone fills the destination cap', () => {
    expect(mayClaimAtOnce({ ...idle, inFlightForDestination: 31 })).toBe(true);
    expect(mayClaimAtOnce({ ...idle, inFlightForDestination: 32 })).toBe(false);
  });

  it('queues while unproven destinations hold their whole share of the slots', () => {
    expect(mayClaimAtOnce({ ...idle, unprovenRoom: 1 })).toBe(true);
    expect(mayClaimAtOnce({ ...idle, unprovenRoom: 0 })).toBe(false);
  });
});
