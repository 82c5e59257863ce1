import { InternalApiFailure } from '@pager/internal-api';

/**
 * fedctl's exit codes (docs/fedctl.md, `fedctl --help`):
 * - 0 `ok`: done; for `status`, both services ready and no destination unreachable;
 * - 1 `degraded`: `status`: a service answers but is not ready, or a destination is
 *   unreachable; `pins history`: the pin history's hash chain failed its check at start;
 * - 2 `unreachable`: a service gave no answer (refused, timed out, bad answer);
 * - 3 `refused`: a service answered with an error (`{ error, message }`, e.g. `not_found`);
 * - 64 `usage`: bad arguments or configuration (nothing was sent).
 */
export const EXIT = { ok: 0, degraded: 1, unreachable: 2, refused: 3, usage: 64 } as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Bad arguments or configuration found before any request left. */
export class UsageError extends Error {}

/** The exit code of a command that failed with `err`. */
export function exitCodeForError(err: unknown): ExitCode {
  if (err instanceof UsageError) return EXIT.usage;
  if (err instanceof InternalApiFailure)
    return err.kind === 'http' ? EXIT.refused : EXIT.unreachable;
  return EXIT.unreachable;
}
