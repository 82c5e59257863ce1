import { Registry, collectDefaultMetrics } from 'prom-client';

/**
 * How often prom-client samples the event loop's delay (ms) for `nodejs_eventloop_lag_*`.
 * Its default, 10 ms, wakes an idle process 100 times a second: ≈ 6 ms of CPU per second
 * measured on an idle daemon (bench/discovery/daemon.ts, docs/benchmarks.md). At 100 ms a
 * stall still shows whenever it delays a sample (every stall over 100 ms does).
 */
export const EVENT_LOOP_SAMPLE_MS = 100;

/** One registry per service, labelled with the service name, with process metrics. */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  return registry;
}
