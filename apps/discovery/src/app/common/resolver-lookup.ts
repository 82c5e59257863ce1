import { isIP } from 'node:net';
import type { LookupAddress } from 'node:dns';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { AxiosInstance } from 'axios';
import type { HostResolver } from './host-resolver';

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A `lookup` for http(s) agents that resolves through the daemon's HostResolver (the one the
 * endpoint policy used when the announcement was accepted) and refuses the connection with
 * `EADDRNOTPERMITTED` when any address is not permitted, or none came back. It runs at
 * connect time, so a name that resolved to a public address when announced and to a
 * private one now (DNS rebinding) is refused then (PROTOCOL.md section 2, endpoint policy).
 */
export function resolverLookup(resolve: HostResolver, permit: (ip: string) => boolean) {
  return (
    hostname: string,
    options: { all?: boolean; family?: number },
    callback: LookupCallback,
  ): void => {
    resolve(hostname.toLowerCase()).then(
      (addresses) => {
        const refused = addresses.find((ip) => !permit(ip));
        if (refused !== undefined || addresses.length === 0) {
          const error: NodeJS.ErrnoException = new Error(
            `refusing to connect to ${hostname}: ${refused ?? 'no address'} is not a permitted address`,
          );
          error.code = 'EADDRNOTPERMITTED';
          callback(error, []);
          return;
        }
        const entries = addresses.map((address) => ({
          address,
          family: isIP(address) === 6 ? 6 : 4,
        }));
        if (options.all) callback(null, entries);
        else callback(null, entries[0].address, entries[0].family);
      },
      (err: Error) => callback(err as NodeJS.ErrnoException, []),
    );
  };
}

/**
 * Points an axios instance made by server-kit's `createHttpClient` at agents whose lookup is
 * `resolverLookup(resolve, permit)`: same keep-alive settings, one resolver for the policy
 * check and the connection. Returns the same instance.
 */
export function connectThroughResolver(
  client: AxiosInstance,
  resolve: HostResolver,
  permit: (ip: string) => boolean,
): AxiosInstance {
  const lookup = resolverLookup(resolve, permit) as never;
  client.defaults.httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 64, lookup });
  client.defaults.httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 64, lookup });
  return client;
}
