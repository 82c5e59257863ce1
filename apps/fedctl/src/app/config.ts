import { UsageError } from './exit-codes';

export const DEFAULT_DISCOVERY_URL = 'http://127.0.0.1:4100';
export const DEFAULT_ADAPTER_URL = 'http://127.0.0.1:4200';
export const DEFAULT_TIMEOUT_MS = 10_000;
/** A token file larger than this is not a token (bytes). */
const MAX_TOKEN_BYTES = 4096;

/** The global flags, as commander hands them over. */
export interface GlobalFlags {
  discoveryUrl?: string;
  adapterUrl?: string;
  tokenFile?: string;
  timeout?: string;
  json?: boolean;
  color?: boolean;
}

export interface FedctlConfig {
  discoveryUrl: string;
  adapterUrl: string;
  token: string | undefined;
  timeoutMs: number;
  json: boolean;
  colour: boolean;
}

/**
 * Flags first, then `FEDCTL_DISCOVERY_URL`, `FEDCTL_ADAPTER_URL`, `FEDCTL_TOKEN` /
 * `FEDCTL_TOKEN_FILE`, then the defaults (the services' own defaults on 127.0.0.1).
 * Colour only on a TTY, never with `NO_COLOR` set or `--no-color`. Throws UsageError.
 */
export function resolveConfig(
  flags: GlobalFlags,
  env: Record<string, string | undefined>,
  isTty: boolean,
  readFile: (path: string) => string,
): FedctlConfig {
  const discoveryUrl = baseUrl(
    flags.discoveryUrl ?? env.FEDCTL_DISCOVERY_URL ?? DEFAULT_DISCOVERY_URL,
    'discovery URL',
  );
  const adapterUrl = baseUrl(
    flags.adapterUrl ?? env.FEDCTL_ADAPTER_URL ?? DEFAULT_ADAPTER_URL,
    'adapter URL',
  );
  const tokenFile = flags.tokenFile ?? env.FEDCTL_TOKEN_FILE;
  let token = env.FEDCTL_TOKEN || undefined;
  if (tokenFile !== undefined) {
    let text: string;
    try {
      text = readFile(tokenFile);
    } catch (err) {
      throw new UsageError(`cannot read token file ${tokenFile}: ${(err as Error).message}`);
    }
    if (Buffer.byteLength(text) > MAX_TOKEN_BYTES)
      throw new UsageError(`token file ${tokenFile} is over ${MAX_TOKEN_BYTES} bytes`);
    token = text.trim();
    if (token === '') throw new UsageError(`token file ${tokenFile} is empty`);
  }
  if (token !== undefined && /[\r\n]/.test(token))
    throw new UsageError('the token must be one line');
  let timeoutMs = DEFAULT_TIMEOUT_MS;
  if (flags.timeout !== undefined) {
    timeoutMs = Number(flags.timeout);
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 600_000)
      throw new UsageError('--timeout must be a whole number of ms from 1 to 600000');
  }
  return {
    discoveryUrl,
    adapterUrl,
    token,
    timeoutMs,
    json: flags.json === true,
    colour: isTty && flags.color !== false && env.NO_COLOR === undefined,
  };
}

function baseUrl(value: string, what: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${what} ${JSON.stringify(value)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`${what} must be http or https`);
  return value.replace(/\/+$/, '');
}
