/** The PostgreSQL connection (postgres.js), with snake_case columns mapped to camelCase fields. */
import postgres from 'postgres';

export type Sql = postgres.Sql<Record<string, never>>;
export type TransactionSql = postgres.TransactionSql<Record<string, never>>;

/**
 * A pool on `databaseUrl` (`max` connections, default 10). `onnotice`: log PostgreSQL's notices
 * (default silent). `debug`: called with each query's text as it is sent (tests count the queries of
 * a path with it; postgres.js's `debug` option).
 */
export function createSql(databaseUrl: string, options: { max?: number; onnotice?: boolean; debug?: (query: string) => void } = {}): Sql {
  const { debug } = options;
  return postgres(databaseUrl, {
    ...(debug ? { debug: (_connection: number, query: string) => debug(query) } : {}),
    max: options.max ?? 10,
    transform: postgres.camel,
    onnotice: options.onnotice ? undefined : () => {},
    connection: { application_name: 'recertify' },
    idle_timeout: 30,
  }) as unknown as Sql;
}
