import { Controller, Delete, HttpCode, Inject, Param } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { requireServerId } from '../shared/server-id-param';
import { PinStore } from './pin-store.service';

@ApiTags('internal')
@Controller('api/v1/pins')
export class PinsController {
  constructor(@Inject(PinStore) private readonly pins: PinStore) {}

  @Delete(':serverId')
  @HttpCode(204)
  forget(@Param('serverId') serverId: string): Promise<void> {
    return this.pins.forget(requireServerId(serverId));
  }
}
