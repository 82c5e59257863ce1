import { ValueTransformer } from 'typeorm';

/** PostgreSQL bigint comes back as a string; epoch milliseconds fit a JS number exactly. */
export const bigintAsNumber: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | null) => (value === null ? null : Number(value)),
};
