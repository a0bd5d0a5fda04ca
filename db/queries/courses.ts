/** The only SQL for `courses`. */
import type { Sql, TransactionSql } from '../client.ts';
import type { CourseStatus, EnrollmentMessage, VersionedCourseRow as CourseRow } from '../rows.ts';

type Db = Sql | TransactionSql;

export async function insertCourse(
  sql: Db,
  args: { title: string; status: CourseStatus; enrollmentMessage: EnrollmentMessage | null; url?: string | null },
): Promise<CourseRow> {
  const [row] = await sql<CourseRow[]>`
    insert into courses (title, status, enrollment_message, url)
    values (${args.title}, ${args.status}, ${args.enrollmentMessage ? sql.json({ ...args.enrollmentMessage }) : null}, ${args.url ?? null})
    returning *`;
  if (!row) throw new Error('insert into courses returned no row');
  return row;
}

/** One course; with `forUpdate`, its row is locked until the transaction ends (a PATCH's version check). */
export async function getCourse(sql: Db, id: string, opts: { forUpdate?: boolean } = {}): Promise<CourseRow | null> {
  const [row] = await sql<CourseRow[]>`select * from courses where id = ${id} ${opts.forUpdate ? sql`for update` : sql``}`;
  return row ?? null;
}

/** The courses of `ids` that exist (any order). */
export async function getCourses(sql: Db, ids: string[]): Promise<CourseRow[]> {
  if (ids.length === 0) return [];
  return await sql<CourseRow[]>`select * from courses where id = any(${ids}::uuid[])`;
}

export async function listCourses(sql: Db, filter: { status?: CourseStatus; limit: number }): Promise<CourseRow[]> {
  return await sql<CourseRow[]>`
    select * from courses
    where true ${filter.status ? sql`and status = ${filter.status}` : sql``}
    order by created_at desc, id desc
    limit ${filter.limit}`;
}

/**
 * Applies the given fields (undefined: unchanged; `url: null` removes the url) and raises the
 * course's `version`; null when the course does not exist. Callers send only a real change.
 */
export async function updateCourse(
  sql: Db,
  id: string,
  patch: { title?: string; status?: CourseStatus; enrollmentMessage?: EnrollmentMessage | null; url?: string | null },
): Promise<CourseRow | null> {
  const message = patch.enrollmentMessage === undefined ? undefined : patch.enrollmentMessage ? sql.json({ ...patch.enrollmentMessage }) : null;
  const [row] = await sql<CourseRow[]>`
    update courses set
      title = coalesce(${patch.title ?? null}, title),
      status = coalesce(${patch.status ?? null}, status),
      enrollment_message = ${message === undefined ? sql`enrollment_message` : message},
      url = ${patch.url === undefined ? sql`url` : patch.url},
      version = version + 1,
      updated_at = now()
    where id = ${id}
    returning *`;
  return row ?? null;
}
