/** The PostgreSQL connection (postgres.js), with snake_case columns mapped to camelCase fields. */
import postgres from 'postgres';

export type Sql = postgres.Sql<Record<string, never>>;
export type TransactionSql = postgres.TransactionSql<Record<string, never>>;

export function createSql(databaseUrl: string, options: { max?: number; onnotice?: boolean } = {}): Sql {
  return postgres(databaseUrl, {
    max: options.max ?? 10,
    transform: postgres.camel,
    onnotice: options.onnotice ? undefined : () => {},
    connection: { application_name: 'recertify' },
    idle_timeout: 30,
  }) as unknown as Sql;
}
