/**
 * The admin page reads and writes through the JSON API in-process (`app.request` as the signed-in
 * token's actor, api/in-process.ts): the settings rules, warnings, workflow starts and signals are the API's own, and
 * the page never holds a second copy of them. Answers are typed with the API's own answer types
 * (api/schemas.ts, `z.infer` of each route's response schema), never a copy of their shapes.
 */
import type { z } from '@hono/zod-openapi';
import type { CourseStatus } from '../../domain/vocabulary.ts';
import type { ErrorBody } from '../errors.ts';
import type { ImportCreated, ImportDto, ImportPlan } from '../import-schemas.ts';
import type { Actor } from '../../domain/audit.ts';
import { markInProcess } from '../in-process.ts';
import type {
  AttemptDto,
  AttemptList,
  AwardChanged,
  AwardCreated,
  AwardDto,
  AwardList,
  AwardListItem,
  AwardView,
  CertificateChangePreview,
  CertificateChanged,
  CertificateDto,
  CertificateList,
  CourseDto,
  CourseList,
  CoursePatchSchema,
  LearnerDto,
  LearnerList,
  MessagePage,
} from '../schemas.ts';

export type ApiFailure = ErrorBody['error'];
/** The API's answer to a write: its status and body (or its error), and its `ETag` when it sent one. */
export type ApiResult<T> = { ok: true; status: number; body: T; etag: string | null } | { ok: false; status: number; error: ApiFailure; etag: string | null };

/** A course and its version (from the `ETag` of GET, POST and PATCH /api/courses), which the course form carries. */
export interface VersionedCourse {
  course: CourseDto;
  version: number;
}

/** The version an entity tag names (`"3"` → 3), or null when it names none. */
export function versionOfEtag(etag: string | null): number | null {
  const m = etag ? /^"([1-9]\d{0,9})"$/.exec(etag) : null;
  return m?.[1] ? Number(m[1]) : null;
}

/** The fields of a course the admin page writes (POST and PATCH /api/courses): the PATCH body's title, status and url. */
export type CourseWriteBody = Pick<z.input<typeof CoursePatchSchema>, 'title' | 'status' | 'url'>;

/**
 * The PATCH /api/certificates/:id body the Settings form builds (forms.ts `buildPatch`): settings
 * sections of only the changed fields, checked against the domain's schema before it is sent.
 */
export interface CertificatePatchBody {
  associatedCourseIds?: string[];
  settings?: Record<string, object | null>;
}

/** What `app.request` offers (Hono's in-process fetch). */
export interface InProcessFetch {
  request(input: Request): Response | Promise<Response>;
}

/**
 * The JSON API as the admin page calls it. Reads answer the API's body, or null for a 404 where one
 * thing is asked for; any other failure of a read throws an `AdminApiError` (the page then shows its
 * error page, a 404 its not-found page). Writes answer an `ApiResult`, a refusal included, so the page
 * can show the API's message beside the field it names.
 */
export interface AdminApi {
  /** GET `path`, whatever the API answers. */
  get<T>(path: string): Promise<ApiResult<T>>;
  /** PATCH `path` with a JSON body, whatever the API answers. */
  patch<T>(path: string, body: unknown): Promise<ApiResult<T>>;
  /** POST `path` with a JSON body (or none), whatever the API answers. */
  post<T>(path: string, body?: unknown): Promise<ApiResult<T>>;
  /** Every certificate in use (the first 1000); with `includeArchived`, the archived ones too. */
  listCertificates(opts?: { includeArchived?: boolean }): Promise<CertificateDto[]>;
  /** A page of learners, newest first: `q` searches email and name; `before` is the previous page's `nextBefore`. */
  listLearners(q: { q?: string; before?: string; limit?: number }): Promise<LearnerList>;
  getCertificate(id: string): Promise<CertificateDto | null>;
  /** Every course (the first 1000), or those of one status. */
  listCourses(status?: CourseStatus): Promise<CourseDto[]>;
  /** A certificate's awards (the first 1000), newest first. */
  listAwards(certificateId: string): Promise<AwardDto[]>;
  /** One award with its workflow's execution status and `status` query. */
  getAward(id: string): Promise<AwardView | null>;
  getLearner(id: string): Promise<LearnerDto | null>;
  /** A learner's awards, newest first, each with its workflow's phase (`recertificationUnavailable` when Temporal did not answer). */
  listLearnerAwards(learnerId: string): Promise<{ awards: AwardListItem[]; recertificationUnavailable: string | null }>;
  /** A learner's course attempts (the first 1000). */
  listAttempts(learnerId: string): Promise<AttemptDto[]>;
  /** A course and its version (the ETag), or null when there is none. */
  getCourse(id: string): Promise<VersionedCourse | null>;
  /** POST /api/courses: the API's answer, a failure included (shown beside the form's fields). */
  createCourse(body: CourseWriteBody): Promise<ApiResult<CourseDto>>;
  /**
   * PATCH /api/courses/:id: the API's answer, a failure included. With `expectedVersion` the change
   * applies only to that version (sent as `If-Match`); a change made meanwhile is a 409 `version_conflict`.
   */
  patchCourse(id: string, body: CourseWriteBody, opts?: { expectedVersion?: number }): Promise<ApiResult<CourseDto>>;
  /** A page of the message log, newest first, optionally of one learner or award, created before `before`. */
  listMessages(q: { learnerId?: string; awardId?: string; before?: string; limit?: number }): Promise<MessagePage>;
  /**
   * PATCH /api/certificates/:id. With `expectedVersion` the change applies only to that
   * `settingsVersion` (sent as `If-Match`); a change made meanwhile is a 409 `version_conflict`.
   */
  patchCertificate(id: string, body: CertificatePatchBody, opts?: { expectedVersion?: number }): Promise<ApiResult<CertificateChanged>>;
  /**
   * PATCH /api/certificates/:id?dryRun=true: the same checks as `patchCertificate` (its refusals
   * alike), nothing saved, and what the change would do at once to the running workflows.
   */
  previewCertificateChange(id: string, body: CertificatePatchBody, opts?: { expectedVersion?: number }): Promise<ApiResult<CertificateChangePreview>>;
  /** The learner with this email (case-insensitive), or null. */
  findLearnerByEmail(email: string): Promise<LearnerDto | null>;
  /**
   * POST /api/certificates/:id/awards with an `Idempotency-Key` (the form's), so a form sent twice
   * awards once: the API's answer, a refusal included (409 `already_awarded`, 422 `awarded_at_in_future`, …).
   */
  createAward(certificateId: string, body: { learnerId: string; awardedAt?: string }, idempotencyKey: string): Promise<ApiResult<AwardCreated>>;
  /** PATCH /api/awards/:id `{expiresAt}`: extends (or moves) the expiry and signals the workflow. */
  patchAward(id: string, body: { expiresAt: string }): Promise<ApiResult<AwardChanged>>;
  /** POST /api/awards/:id/revoke `{reason}`: revokes the award and signals the workflow. */
  revokeAward(id: string, reason: string): Promise<ApiResult<AwardChanged>>;
  /**
   * POST /api/certificates/:id/imports?dryRun=true with `csv` as `text/csv`: the plan of every row
   * and its totals, nothing changed; a refusal (400 `malformed_csv`, 404, 413, 422) as the API gave it.
   */
  planImport(certificateId: string, csv: string | ArrayBuffer, opts: { createLearners: boolean }): Promise<ApiResult<ImportPlan>>;
  /** POST /api/certificates/:id/imports with `csv` as `text/csv`: 202 the import, or 200 the import the same rows made before. */
  applyImport(certificateId: string, csv: string, opts: { createLearners: boolean }): Promise<ApiResult<ImportCreated>>;
  /** GET /api/imports/:id: status, progress, totals and the first errors; null when there is none. */
  getImport(id: string): Promise<ImportDto | null>;
  /** GET /api/imports/:id/errors.csv: the rejected rows as CSV text; null when there is no such import. */
  importErrorsCsv(id: string): Promise<string | null>;
}

/** A read the API refused (status and its error body); a 404 is the admin page's not-found page. */
export class AdminApiError extends Error {
  constructor(
    public readonly status: number,
    public readonly failure: ApiFailure,
  ) {
    super(`API ${status} ${failure.code}: ${failure.message}`);
    this.name = 'AdminApiError';
  }
}

function isErrorBody(value: unknown): value is ErrorBody {
  return typeof value === 'object' && value !== null && 'error' in value && typeof (value as { error: unknown }).error === 'object';
}

/**
 * The admin page's client of the JSON API, called in-process as `actor` (the signed-in token's name and
 * scope: api/in-process.ts), so the API's scope checks and audit entries are that token's.
 */
export function createAdminApi(app: InProcessFetch, actor: Actor | undefined): AdminApi {
  const call = async <T>(method: string, path: string, body?: unknown, extraHeaders: Record<string, string> = {}): Promise<ApiResult<T>> => {
    const headers: Record<string, string> = { ...extraHeaders, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    // Marked in-process: the request log has the admin page's request, not each API call it makes.
    const req = markInProcess(new Request(`http://admin.internal${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) }), actor);
    const res = await app.request(req);
    const parsed: unknown = await res.json().catch(() => null);
    const etag = res.headers.get('etag');
    if (res.ok) return { ok: true, status: res.status, body: parsed as T, etag };
    const error: ApiFailure = isErrorBody(parsed)
      ? parsed.error
      : { code: 'http_error', message: `The API answered ${res.status}.`, details: null };
    return { ok: false, status: res.status, error, etag };
  };
  /** A request with a raw body of `contentType` (the import's CSV), answered as `call` answers. */
  const send = async <T>(method: string, path: string, contentType: string, body: string | ArrayBuffer): Promise<ApiResult<T>> => {
    const headers = { accept: 'application/json', 'content-type': contentType };
    const res = await app.request(markInProcess(new Request(`http://admin.internal${path}`, { method, headers, body }), actor));
    const parsed: unknown = await res.json().catch(() => null);
    if (res.ok) return { ok: true, status: res.status, body: parsed as T, etag: null };
    const error: ApiFailure = isErrorBody(parsed) ? parsed.error : { code: 'http_error', message: `The API answered ${res.status}.`, details: null };
    return { ok: false, status: res.status, error, etag: null };
  };
  /** A read that must succeed (a 404 is null); anything else is an error page. */
  const read = async <T>(path: string): Promise<T | null> => {
    const r = await call<T>('GET', path);
    if (r.ok) return r.body;
    if (r.status === 404) return null;
    throw new AdminApiError(r.status, r.error);
  };
  const must = async <T>(path: string): Promise<T> => {
    const v = await read<T>(path);
    if (v === null) throw new AdminApiError(404, { code: 'not_found', message: `${path} does not exist.`, details: null });
    return v;
  };
  const qs = (params: Record<string, string | number | undefined>): string => {
    const s = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') s.set(k, String(v));
    const text = s.toString();
    return text ? `?${text}` : '';
  };
  return {
    get: (path) => call('GET', path),
    patch: (path, body) => call('PATCH', path, body),
    post: (path, body) => call('POST', path, body),
    listCertificates: async (opts = {}) =>
      (await must<CertificateList>(`/api/certificates${qs({ limit: 1000, include: opts.includeArchived ? 'archived' : undefined })}`)).certificates,
    listLearners: (q) => must<LearnerList>(`/api/learners${qs({ q: q.q, before: q.before, limit: q.limit ?? 50 })}`),
    getCertificate: (id) => read<CertificateDto>(`/api/certificates/${encodeURIComponent(id)}`),
    listCourses: async (status) => (await must<CourseList>(`/api/courses${qs({ status, limit: 1000 })}`)).courses,
    listAwards: async (certificateId) =>
      (await must<AwardList>(`/api/awards${qs({ certificateId, limit: 1000 })}`)).awards,
    getAward: (id) => read<AwardView>(`/api/awards/${encodeURIComponent(id)}`),
    getLearner: (id) => read<LearnerDto>(`/api/learners/${encodeURIComponent(id)}`),
    listLearnerAwards: async (learnerId) => {
      const r = await must<AwardList>(`/api/awards${qs({ learnerId, include: 'recertification', limit: 1000 })}`);
      return { awards: r.awards, recertificationUnavailable: r.recertificationUnavailable ?? null };
    },
    listAttempts: async (learnerId) => (await must<AttemptList>(`/api/attempts${qs({ learnerId, limit: 1000 })}`)).attempts,
    getCourse: async (id) => {
      const r = await call<CourseDto>('GET', `/api/courses/${encodeURIComponent(id)}`);
      if (!r.ok) {
        if (r.status === 404) return null;
        throw new AdminApiError(r.status, r.error);
      }
      const version = versionOfEtag(r.etag);
      if (version === null) throw new Error(`GET /api/courses/${id} answered without a version ETag (${r.etag ?? 'none'})`);
      return { course: r.body, version };
    },
    createCourse: (body) => call<CourseDto>('POST', '/api/courses', body),
    patchCourse: (id, body, opts = {}) =>
      call<CourseDto>('PATCH', `/api/courses/${encodeURIComponent(id)}`, body, opts.expectedVersion === undefined ? {} : { 'if-match': `"${opts.expectedVersion}"` }),
    listMessages: (q) =>
      must<MessagePage>(
        `/api/messages${qs({ learnerId: q.learnerId, awardId: q.awardId, before: q.before, limit: q.limit ?? 100 })}`,
      ),
    findLearnerByEmail: async (email) => (await must<LearnerList>(`/api/learners${qs({ email, limit: 1 })}`)).learners[0] ?? null,
    createAward: (certificateId, body, idempotencyKey) =>
      call<AwardCreated>('POST', `/api/certificates/${encodeURIComponent(certificateId)}/awards`, body, { 'idempotency-key': idempotencyKey }),
    patchAward: (id, body) => call<AwardChanged>('PATCH', `/api/awards/${encodeURIComponent(id)}`, body),
    planImport: (certificateId, csv, opts) =>
      send<ImportPlan>('POST', `/api/certificates/${encodeURIComponent(certificateId)}/imports${qs({ dryRun: 'true', createLearners: opts.createLearners ? 'true' : undefined })}`, 'text/csv', csv),
    applyImport: (certificateId, csv, opts) =>
      send<ImportCreated>('POST', `/api/certificates/${encodeURIComponent(certificateId)}/imports${qs({ createLearners: opts.createLearners ? 'true' : undefined })}`, 'text/csv', csv),
    getImport: (id) => read<ImportDto>(`/api/imports/${encodeURIComponent(id)}`),
    importErrorsCsv: async (id) => {
      const headers = { accept: 'text/csv' };
      const res = await app.request(markInProcess(new Request(`http://admin.internal/api/imports/${encodeURIComponent(id)}/errors.csv`, { headers }), actor));
      if (res.ok) return await res.text();
      if (res.status === 404) return null;
      const parsed: unknown = await res.json().catch(() => null);
      throw new AdminApiError(res.status, isErrorBody(parsed) ? parsed.error : { code: 'http_error', message: `The API answered ${res.status}.`, details: null });
    },
    revokeAward: (id, reason) => call<AwardChanged>('POST', `/api/awards/${encodeURIComponent(id)}/revoke`, { reason }),
    previewCertificateChange: (id, body, opts = {}) =>
      call<CertificateChangePreview>(
        'PATCH',
        `/api/certificates/${encodeURIComponent(id)}?dryRun=true`,
        body,
        opts.expectedVersion === undefined ? {} : { 'if-match': `"${opts.expectedVersion}"` },
      ),
    patchCertificate: (id, body, opts = {}) =>
      call<CertificateChanged>(
        'PATCH',
        `/api/certificates/${encodeURIComponent(id)}`,
        body,
        opts.expectedVersion === undefined ? {} : { 'if-match': `"${opts.expectedVersion}"` },
      ),
  };
}
