import { Module } from '@nestjs/common';
import { DiscoveryClientService } from './discovery-client.service';

@Module({ providers: [DiscoveryClientService], exports: [DiscoveryClientService] })
export class DiscoveryClientModule {}
