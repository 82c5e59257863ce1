import { Module } from '@nestjs/common';
import { PinStore } from './pin-store.service';
import { PinsController } from './pins.controller';

@Module({ controllers: [PinsController], providers: [PinStore], exports: [PinStore] })
export class PinsModule {}
