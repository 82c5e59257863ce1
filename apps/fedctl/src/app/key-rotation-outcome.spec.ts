import { EXIT } from './exit-codes';
import { keyReloadOutcome } from './key-rotation-outcome';

const ROTATED = { oldFingerprint: 'OLD', newFingerprint: 'NEW' };
const reloaded = {
  ok: true as const,
  value: { fingerprint: 'NEW', previous_fingerprint: 'OLD', changed: true },
};

describe(keyReloadOutcome.name, () => {
  it('is done when both services use the new key with the old one as previous', () => {
    expect(keyReloadOutcome(ROTATED, { discovery: reloaded, adapter: reloaded })).toEqual({
      exitCode: EXIT.ok,
      problems: [],
    });
  });

  it('is unreachable when a service gave no answer (restart it)', () => {
    const sut = keyReloadOutcome(ROTATED, {
      discovery: reloaded,
      adapter: { ok: false, kind: 'unreachable', message: 'connection refused' },
    });
    expect(sut.exitCode).toBe(EXIT.unreachable);
    expect(sut.problems).toEqual(['adapter: connection refused']);
  });

  it('is refused when a service refused the reload', () => {
    const sut = keyReloadOutcome(ROTATED, {
      discovery: { ok: false, kind: 'http', status: 409, error: 'conflict', message: 'bad file' },
      adapter: reloaded,
    });
    expect(sut.exitCode).toBe(EXIT.refused);
  });

  it('is refused when a service does not hold the old key as previous', () => {
    const sut = keyReloadOutcome(ROTATED, {
      discovery: {
        ok: true,
        value: { fingerprint: 'NEW', previous_fingerprint: null, changed: true },
      },
      adapter: reloaded,
    });
    expect(sut.exitCode).toBe(EXIT.refused);
    expect(sut.problems[0]).toMatch(/PREVIOUS_KEY_PATH/);
  });

  it('is refused when a service loaded another key than the new one', () => {
    const sut = keyReloadOutcome(ROTATED, {
      discovery: reloaded,
      adapter: {
        ok: true,
        value: { fingerprint: 'OTHER', previous_fingerprint: 'OLD', changed: true },
      },
    });
    expect(sut.problems[0]).toMatch(/PRIVATE_KEY_PATH/);
  });
});
