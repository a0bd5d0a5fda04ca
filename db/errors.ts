/** What PostgreSQL's errors mean to callers of db/queries (postgres.js raises them as `PostgresError`). */

interface PgError {
  code: string;
  constraint_name?: string;
}

/** Whether `err` is an error PostgreSQL raised (not a connection or client failure). */
export function isPgError(err: unknown): err is PgError {
  return typeof err === 'object' && err !== null && 'code' in err && typeof (err as { code: unknown }).code === 'string' && (err as { name?: unknown }).name === 'PostgresError';
}

/** Whether `err` is a unique violation (SQLSTATE 23505), of the index `constraint` when given. */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  return isPgError(err) && err.code === '23505' && (constraint === undefined || err.constraint_name === constraint);
}
