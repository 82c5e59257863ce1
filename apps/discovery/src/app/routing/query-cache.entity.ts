import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Query ids seen in the last 10 minutes, shared by replicas so that a flood cannot loop. */
@Entity('seen_queries')
export class SeenQueryRecord {
  @PrimaryColumn({ name: 'query_id', type: 'text' })
  queryId: string;

  @Column({ name: 'seen_at', type: 'timestamptz' })
  seenAt: Date;
}

/** Domains that could not be resolved, for 60 s. */
@Entity('negative_cache')
export class NegativeCacheRecord {
  @PrimaryColumn({ type: 'text' })
  domain: string;

  @Column({ name: 'cached_at', type: 'timestamptz' })
  cachedAt: Date;
}
