import { Inject, Injectable } from '@nestjs/common';
import { isIP } from 'node:net';
import { DISCOVERY_CONFIG, DiscoveryConfig } from '../config/discovery-config';
import {
  ANNOUNCEMENT_ENDPOINTS,
  EndpointCheck,
  checkAnnouncementEndpoints,
  checkEndpointUrl,
  endpointHostname,
} from '../core';
import { HOST_RESOLVER, HostResolver } from './host-resolver';

/**
 * The endpoint policy with its I/O: resolves every host name (all addresses) and hands the
 * answers to the pure checks of the core. IP-literal hosts are checked as they are.
 */
@Injectable()
export class EndpointChecker {
  constructor(
    @Inject(DISCOVERY_CONFIG)
    private readonly config: Pick<DiscoveryConfig, 'allowPrivateEndpoints'>,
    @Inject(HOST_RESOLVER) private readonly resolve: HostResolver,
  ) {}

  get allowPrivate(): boolean {
    return this.config.allowPrivateEndpoints;
  }

  async checkUrl(url: string, serverId: string): Promise<EndpointCheck> {
    const host = typeof url === 'string' ? endpointHostname(url) : null;
    const resolved = host === null ? [] : await this.addressesOf(host);
    return checkEndpointUrl({
      url,
      serverId,
      resolvedAddresses: resolved,
      allowPrivate: this.allowPrivate,
    });
  }

  async checkAnnouncement(serverId: string, endpoints: unknown): Promise<EndpointCheck> {
    const resolved = new Map<string, string[]>();
    if (typeof endpoints === 'object' && endpoints !== null) {
      for (const name of ANNOUNCEMENT_ENDPOINTS) {
        const url = (endpoints as Record<string, unknown>)[name];
        const host = typeof url === 'string' ? endpointHostname(url) : null;
        if (host !== null && !resolved.has(host)) resolved.set(host, await this.addressesOf(host));
      }
    }
    return checkAnnouncementEndpoints({
      serverId,
      endpoints,
      resolved,
      allowPrivate: this.allowPrivate,
    });
  }

  private async addressesOf(host: string): Promise<string[]> {
    if (isIP(host) !== 0) return [];
    return this.resolve(host.toLowerCase());
  }
}
