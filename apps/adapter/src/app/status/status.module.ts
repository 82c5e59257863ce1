import { Module } from '@nestjs/common';
import { StatusController } from './status.controller';
import { StatusService } from './status.service';

/** The operators' status page (`GET /status`, issue 11). */
@Module({ controllers: [StatusController], providers: [StatusService] })
export class StatusModule {}
