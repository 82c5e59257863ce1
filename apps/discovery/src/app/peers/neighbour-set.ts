import { Injectable } from '@nestjs/common';

/**
 * This replica's active neighbours and who failed to answer since the last round. In
 * memory on purpose: each replica picks its own random subset, which spreads load further.
 */
@Injectable()
export class NeighbourSet {
  private current: string[] = [];
  private readonly unresponsive = new Set<string>();

  list(): string[] {
    return [...this.current];
  }

  has(serverId: string): boolean {
    return this.current.includes(serverId);
  }

  replace(next: string[]): void {
    this.current = [...next];
    this.unresponsive.clear();
  }

  remove(serverId: string): void {
    this.current = this.current.filter((id) => id !== serverId);
  }

  markUnresponsive(serverId: string): void {
    this.unresponsive.add(serverId);
  }

  unresponsiveList(): string[] {
    return [...this.unresponsive];
  }
}
