import { rmSync } from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  const handle = (globalThis as Record<string, unknown>).__PAGER_TEST_PG__ as
    | { stop(): Promise<void>; dir: string }
    | undefined;
  if (handle === undefined) return;
  await handle.stop();
  rmSync(handle.dir, { recursive: true, force: true });
}
