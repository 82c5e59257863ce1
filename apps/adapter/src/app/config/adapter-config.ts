import { CommonConfig, Env, EnvReader, loadCommonConfig } from '@pager/server-kit';

export interface AdapterConfig extends CommonConfig {
  ackTimeoutMs: number;
  retryDelayMs: number;
  deliveryAttempts: number;
  rateLimitMessagesPerHour: number;
  pagerWebhookUrl: string | undefined;
}

export function loadAdapterConfig(env: Env = process.env): AdapterConfig {
  const common = loadCommonConfig('adapter', env);
  const read = new EnvReader(env);
  return {
    ...common,
    ackTimeoutMs: read.int('ACK_TIMEOUT_MS', 30_000, 100, 600_000),
    retryDelayMs: read.int('RETRY_DELAY_MS', 30_000, 0, 86_400_000),
    deliveryAttempts: read.int('DELIVERY_ATTEMPTS', 3, 1, 100),
    rateLimitMessagesPerHour: read.int('RATE_LIMIT_MESSAGES_PER_HOUR', 1000, 1, 10_000_000),
    pagerWebhookUrl:
      read.string('PAGER_WEBHOOK_URL') !== undefined
        ? read.url('PAGER_WEBHOOK_URL', '')
        : undefined,
  };
}
