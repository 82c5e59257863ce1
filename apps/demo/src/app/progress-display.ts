/** A moment of the demo: what each server is doing and where the pages are. */
export interface ProgressSnapshot {
  phase: string;
  servers: { serverId: string; ready: boolean; peersKnown: number | null }[];
  pages: { delivered: number; waiting: number; failed: number };
}

/** The snapshot as lines: one for the phase and pages, one per server (pure). */
export function renderProgress(snapshot: ProgressSnapshot): string[] {
  const total = snapshot.servers.length;
  const { delivered, waiting, failed } = snapshot.pages;
  return [
    `[${snapshot.phase}] pages: ${delivered} delivered, ${waiting} waiting, ${failed} failed`,
    ...snapshot.servers.map(
      (s) =>
        `  ${s.serverId.padEnd(10)} ${s.ready ? 'ready' : 'down '}  peers known ${
          s.peersKnown === null ? '-' : `${s.peersKnown}/${total - 1}`
        }`,
    ),
  ];
}

/**
 * Shows progress: on a TTY the block is redrawn in place; elsewhere (CI, a pipe) a plain
 * line is written when the phase or the page counts change, so logs stay short.
 */
export class ProgressDisplay {
  private drawnLines = 0;
  private lastPlain = '';

  constructor(private readonly out: NodeJS.WriteStream = process.stdout) {}

  private get interactive(): boolean {
    return this.out.isTTY === true;
  }

  show(snapshot: ProgressSnapshot): void {
    const lines = renderProgress(snapshot);
    if (this.interactive) {
      if (this.drawnLines > 0) this.out.write(`\x1b[${this.drawnLines}F\x1b[J`);
      this.out.write(lines.join('\n') + '\n');
      this.drawnLines = lines.length;
      return;
    }
    const summary = `${lines[0]}; ${snapshot.servers.filter((s) => s.ready).length}/${
      snapshot.servers.length
    } servers ready`;
    if (summary !== this.lastPlain) {
      this.out.write(summary + '\n');
      this.lastPlain = summary;
    }
  }

  /** A line of its own, above the progress block (which is drawn again on the next show). */
  note(line: string): void {
    if (this.interactive && this.drawnLines > 0) {
      this.out.write(`\x1b[${this.drawnLines}F\x1b[J`);
      this.drawnLines = 0;
    }
    this.out.write(line + '\n');
  }
}
