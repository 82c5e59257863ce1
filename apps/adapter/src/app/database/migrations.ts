import { CreateRateLimits1764100000000 } from '@pager/server-kit';

// Applied in order at start-up; never edit a migration that has shipped, add a new one.
export const ADAPTER_MIGRATIONS: Function[] = [CreateRateLimits1764100000000];
