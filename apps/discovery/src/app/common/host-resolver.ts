import { lookup } from 'node:dns/promises';

/** Every A/AAAA address of a host name; empty when it does not resolve in time. */
export type HostResolver = (host: string) => Promise<string[]>;

export const HOST_RESOLVER = Symbol('HOST_RESOLVER');

const LOOKUP_TIMEOUT_MS = 3_000;

/** The system resolver, bounded: a slow DNS server must not hold a gossip request open. */
export const systemHostResolver: HostResolver = async (host) => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string[]>((resolve) => {
    timer = setTimeout(() => resolve([]), LOOKUP_TIMEOUT_MS);
  });
  try {
    const found = lookup(host, { all: true, verbatim: true }).then(
      (addresses) => addresses.map((a) => a.address),
      () => [] as string[],
    );
    return await Promise.race([found, timeout]);
  } finally {
    clearTimeout(timer);
  }
};
