import { KeyRotationStore } from './key-rotation.store';
import { Module } from '@nestjs/common';
import { BlocklistModule } from '../blocklist/blocklist.module';
import { PeersModule } from '../peers/peers.module';
import { PinsModule } from '../pins/pins.module';
import { ReputationModule } from '../reputation/reputation.module';
import { AnnouncementIntake } from './announcement-intake.service';
import { AnnouncementValidator } from './announcement-validator';
import { AnnouncementController } from './announcement.controller';
import { OwnAnnouncementHolder } from './own-announcement.holder';
import { OwnAnnouncementScheduler } from './own-announcement.scheduler';
import { OwnAnnouncementService } from './own-announcement.service';
import { SenderAuthenticator } from './sender-authenticator';
import { TableBound } from './table-bound.service';
import { KeyConflicts } from './key-conflicts.service';

@Module({
  imports: [PeersModule, PinsModule, BlocklistModule, ReputationModule],
  controllers: [AnnouncementController],
  providers: [
    OwnAnnouncementHolder,
    KeyRotationStore,
    OwnAnnouncementService,
    OwnAnnouncementScheduler,
    AnnouncementValidator,
    AnnouncementIntake,
    SenderAuthenticator,
    TableBound,
    KeyConflicts,
  ],
  exports: [
    OwnAnnouncementService,
    AnnouncementValidator,
    AnnouncementIntake,
    SenderAuthenticator,
    TableBound,
  ],
})
export class AnnouncementsModule {}
