import { Injectable } from '@nestjs/common';
import type { Announcement } from '@pager/protocol';

/** The current signed own announcement, readable by whoever needs it without a cycle. */
@Injectable()
export class OwnAnnouncementHolder {
  private current: Announcement | null = null;

  get(): Announcement | null {
    return this.current;
  }

  set(announcement: Announcement): void {
    this.current = announcement;
  }
}
