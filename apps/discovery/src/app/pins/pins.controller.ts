import { ApiRoute } from '@pager/server-kit';
import { Controller, Delete, HttpCode, Inject, Param } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { requireServerId } from '../common/server-id-param';
import { PinStore } from './pin-store.service';

@ApiTags('internal')
@Controller('api/v1/pins')
export class PinsController {
  constructor(@Inject(PinStore) private readonly pins: PinStore) {}

  @ApiRoute({
    summary:
      'Forgets the pinned key of a server; the next announcement accepted for it is pinned afresh.',
    access: 'internal',
    responses: { 204: 'forgotten' },
    errors: ['validation_failed', 'not_found'],
  })
  @Delete(':serverId')
  @HttpCode(204)
  forget(@Param('serverId') serverId: string): Promise<void> {
    return this.pins.forget(requireServerId(serverId));
  }
}
