import {
  InternalApiBadAnswerError,
  InternalApiError,
  InternalApiUnreachableError,
} from '@pager/internal-api';
import { EXIT, UsageError, exitCodeForError } from './exit-codes';

describe(exitCodeForError.name, () => {
  it('maps each kind of failure to its documented code', () => {
    const http = new InternalApiError('GET', 'u', 404, { error: 'not_found', message: 'x' });
    expect(exitCodeForError(http)).toBe(3);
    expect(
      exitCodeForError(new InternalApiUnreachableError('GET', 'u', 'ECONNREFUSED', false)),
    ).toBe(2);
    expect(exitCodeForError(new InternalApiUnreachableError('GET', 'u', 'timeout', true))).toBe(2);
    expect(exitCodeForError(new InternalApiBadAnswerError('GET', 'u', 200, 'not JSON'))).toBe(2);
    expect(exitCodeForError(new UsageError('bad flag'))).toBe(64);
  });

  it('keeps the documented numbers stable', () => {
    expect(EXIT).toEqual({ ok: 0, degraded: 1, unreachable: 2, refused: 3, usage: 64 });
  });
});
