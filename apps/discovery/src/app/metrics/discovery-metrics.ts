import { Inject, Injectable } from '@nestjs/common';
import { Counter, Gauge, Registry } from 'prom-client';

/** The daemon's own Prometheus series, on the registry that `/metrics` serves. */
@Injectable()
export class DiscoveryMetrics {
  readonly gossipRounds: Counter<'role' | 'result'>;
  readonly announcements: Counter<'outcome' | 'reason'>;
  readonly queries: Counter<'role' | 'result'>;
  readonly peersKnown: Gauge;
  /** Route look-ups for the sender of an inbound message: flooded, cached, or over budget. */
  readonly senderLookups: Counter<'result'>;
  /** Announcements the table bound dropped (neighbour_quota, table_full) or entries evicted. */
  readonly tableDropped: Counter<'reason'>;
  readonly gossipLeader: Gauge;
  /** 1 when the pin history's hash chain failed its check at start (docs/protocol.md §14). */
  readonly pinHistoryChainBroken: Gauge;
  /** JSON body bytes of the exchanges this daemon started: `sent` requests, `received` replies. */
  readonly gossipBytes: Counter<'direction'>;

  constructor(@Inject(Registry) registry: Registry) {
    this.gossipRounds = new Counter({
      name: 'discovery_gossip_exchanges_total',
      help: 'Gossip exchanges, as initiator or responder, by result',
      labelNames: ['role', 'result'],
      registers: [registry],
    });
    this.announcements = new Counter({
      name: 'discovery_announcements_total',
      help: 'Announcements received, by outcome (accepted, ignored, rejected, pending) and reason',
      labelNames: ['outcome', 'reason'],
      registers: [registry],
    });
    this.queries = new Counter({
      name: 'discovery_queries_total',
      help: 'Domain queries, as requester or relay, by result',
      labelNames: ['role', 'result'],
      registers: [registry],
    });
    this.senderLookups = new Counter({
      name: 'discovery_sender_lookups_total',
      help: 'Route look-ups for inbound senders: answered without a flood, flooded, or refused over budget (client, minute, hour)',
      labelNames: ['result'],
      registers: [registry],
    });
    this.tableDropped = new Counter({
      name: 'discovery_table_dropped_total',
      help: 'Servers not stored because of the table bound (neighbour_quota, table_full), or dropped to make room (evicted)',
      labelNames: ['reason'],
      registers: [registry],
    });
    this.peersKnown = new Gauge({
      name: 'discovery_peers_known',
      help: 'Announcements held, the own one included',
      registers: [registry],
    });
    this.gossipLeader = new Gauge({
      name: 'discovery_gossip_leader',
      help: '1 when this replica holds the gossip lock and runs the gossip schedule, else 0',
      registers: [registry],
    });
    this.pinHistoryChainBroken = new Gauge({
      name: 'discovery_pin_history_chain_broken',
      help: '1 when the hash chain of the pin history did not verify at start (an entry edited, removed or reordered), else 0',
      registers: [registry],
    });
    this.gossipBytes = new Counter({
      name: 'discovery_gossip_bytes_total',
      help: 'Body bytes of the gossip exchanges this daemon started: requests sent, replies received',
      labelNames: ['direction'],
      registers: [registry],
    });
  }
}
