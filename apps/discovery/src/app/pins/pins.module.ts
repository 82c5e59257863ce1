import { Module } from '@nestjs/common';
import { PinHistoryCheck } from './pin-history.check';
import { PinStore } from './pin-store.service';
import { PinsController } from './pins.controller';

@Module({
  controllers: [PinsController],
  providers: [PinStore, PinHistoryCheck],
  exports: [PinStore],
})
export class PinsModule {}
