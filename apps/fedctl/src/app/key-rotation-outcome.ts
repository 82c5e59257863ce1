import type { KeyReloadAnswer } from '@pager/internal-api';
import { EXIT, ExitCode } from './exit-codes';
import type { Probe } from './status-summary';

/**
 * The exit code and problems of `fedctl keys rotate` once the files are rotated
 * (docs/fedctl.md): `ok` when both services now use the new key with the old one as the
 * previous key; `refused` when a service refused the reload or loaded other keys (its
 * PRIVATE_KEY_PATH or PREVIOUS_KEY_PATH names other files); `unreachable` when a service gave
 * no answer (it reads the files when it restarts). Unreachable wins over refused: the
 * operator must restart that service either way.
 */
export function keyReloadOutcome(
  rotated: { oldFingerprint: string; newFingerprint: string },
  reloads: { discovery: Probe<KeyReloadAnswer>; adapter: Probe<KeyReloadAnswer> },
): { exitCode: ExitCode; problems: string[] } {
  const problems: string[] = [];
  let unreachable = false;
  let refused = false;
  for (const [name, probe] of Object.entries(reloads)) {
    if (!probe.ok) {
      if (probe.kind === 'http') refused = true;
      else unreachable = true;
      problems.push(`${name}: ${probe.message}`);
      continue;
    }
    if (probe.value.fingerprint !== rotated.newFingerprint) {
      refused = true;
      problems.push(
        `${name} uses ${probe.value.fingerprint}, not the new key: check PRIVATE_KEY_PATH`,
      );
    } else if (probe.value.previous_fingerprint !== rotated.oldFingerprint) {
      refused = true;
      problems.push(
        `${name} does not hold the old key as previous: check PREVIOUS_KEY_PATH (peers that pinned the old key will refuse the new one)`,
      );
    }
  }
  const exitCode = unreachable ? EXIT.unreachable : refused ? EXIT.refused : EXIT.ok;
  return { exitCode, problems };
}
