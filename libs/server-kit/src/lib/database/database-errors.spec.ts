import { classifyDatabaseError } from './database-errors';

/** A pg DatabaseError as TypeORM wraps it (QueryFailedError copies `code` and keeps `driverError`). */
function queryFailed(code: string, message = 'failed'): Error {
  const driverError = Object.assign(new Error(message), { code, severity: 'ERROR' });
  return Object.assign(new Error(message), { name: 'QueryFailedError', driverError });
}

describe(classifyDatabaseError.name, () => {
  it.each([
    ['57P01', 'terminating connection due to administrator command'],
    ['57P03', 'the database system is starting up'],
    ['57014', 'canceling statement due to statement timeout'],
    ['53300', 'sorry, too many clients already'],
    ['53100', 'could not extend file: No space left on device'],
    ['08006', 'connection failure'],
    ['08001', 'could not connect'],
    ['40001', 'could not serialize access'],
    ['40P01', 'deadlock detected'],
    ['55P03', 'canceling statement due to lock timeout'],
    ['25006', 'cannot execute INSERT in a read-only transaction'],
  ])('SQLSTATE %s (%s) → unavailable', (code, message) => {
    expect(classifyDatabaseError(queryFailed(code, message))).toBe('unavailable');
  });

  it.each([
    ['22P05', 'unsupported Unicode escape sequence'],
    ['22021', 'invalid byte sequence for encoding "UTF8": 0x00'],
    ['22P02', 'invalid input syntax for type uuid: "x"'],
    ['22001', 'value too long for type character varying(64)'],
    ['22003', 'value "99999999999" is out of range for type integer'],
  ])('SQLSTATE %s (%s) → invalid_input', (code, message) => {
    expect(classifyDatabaseError(queryFailed(code, message))).toBe('invalid_input');
  });

  it.each([
    ['pool exhausted', new Error('timeout exceeded when trying to connect')],
    ['server closed the socket', new Error('Connection terminated unexpectedly')],
    [
      "a transaction's connection died (TypeORM)",
      Object.assign(
        new Error(
          'Database connection provided by a query runner was already released, cannot continue to use its querying methods anymore.',
        ),
        { name: 'QueryRunnerProviderAlreadyReleasedError' },
      ),
    ],
    ['connect timeout', new Error('Connection terminated due to connection timeout')],
    [
      'refused',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
    ],
    ['reset', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
    [
      'refused on every address (AggregateError)',
      new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })], ''),
    ],
    ['wrapped as cause', new Error('outer', { cause: new Error('Connection terminated') })],
    [
      'client not queryable',
      new Error('Client has encountered a connection error and is not queryable'),
    ],
  ])('%s → unavailable', (_what, err) => {
    expect(classifyDatabaseError(err)).toBe('unavailable');
  });

  it.each([
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'x')")],
    ['a unique violation (the caller handles it)', queryFailed('23505', 'duplicate key')],
    ['a syntax error (our bug)', queryFailed('42601', 'syntax error at or near')],
    ['division by zero (our bug)', queryFailed('22012', 'division by zero')],
    ['not an object', 'Connection terminated'],
    ['null', null],
  ])('%s → undefined (a 500)', (_what, err) => {
    expect(classifyDatabaseError(err)).toBeUndefined();
  });

  it('stops at 5 levels of nesting (a cyclic cause cannot loop)', () => {
    const a: { cause?: unknown; message: string } = { message: 'a' };
    a.cause = a;
    expect(classifyDatabaseError(a)).toBeUndefined();
  });
});
