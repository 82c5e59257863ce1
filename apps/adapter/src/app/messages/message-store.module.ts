import { Module } from '@nestjs/common';
import { MessageStore } from './message.store';

/** Provides the one owner of the `messages` table to messages/, delivery/ and inbound/. */
@Module({ providers: [MessageStore], exports: [MessageStore] })
export class MessageStoreModule {}
