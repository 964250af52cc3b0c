/**
 * Errors the store throws on purpose. Each carries a stable `code` so callers (the
 * management API, tests) branch on the code, never on message text.
 */
export type StoreErrorCode = 'STORE_CONFLICT' | 'STORE_INVALID_CHANGE' | 'STORE_SCHEMA_TOO_NEW';

abstract class StoreError extends Error {
  abstract readonly code: StoreErrorCode;
}

/** A write that contradicts what is stored: `assert_empty` over existing keys, a reused API key id. */
export class StoreConflictError extends StoreError {
  readonly code = 'STORE_CONFLICT';
  override readonly name = 'StoreConflictError';
}

/** A settings change that cannot mean anything: an empty key, a `clear` of the whole store. */
export class StoreInvalidChangeError extends StoreError {
  readonly code = 'STORE_INVALID_CHANGE';
  override readonly name = 'StoreInvalidChangeError';
}

/** The database was written by a newer Parapet; reading it with older code could lose data. */
export class StoreSchemaTooNewError extends StoreError {
  readonly code = 'STORE_SCHEMA_TOO_NEW';
  override readonly name = 'StoreSchemaTooNewError';

  constructor(
    readonly path: string,
    readonly foundVersion: number,
    readonly knownVersion: number,
  ) {
    super(
      `${path} has store schema version ${foundVersion}, but this Parapet only knows versions up to ${knownVersion}: ` +
        'it was written by a newer Parapet. Run that newer version, or restore a copy of the file taken before it was upgraded; ' +
        'opening it with this version is refused so that nothing in it is lost.',
    );
  }
}
