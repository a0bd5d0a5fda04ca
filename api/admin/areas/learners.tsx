/**
 * Learners: `/admin/learners` lists them newest first with a search of email and name (GET
 * /api/learners?q=, paged by its cursor); `/admin/learners/:id` shows a learner's name and email,
 * awards (with their workflow's phase), course attempts and latest messages, each linked to the page
 * that shows it, and the forms that edit, deactivate and erase them (PATCH /api/learners/:id, POST
 * .../deactivate, POST .../erase with the email typed again), made in-process so the rules are the
 * API's. An unknown or malformed id is the 404 page; a refused form shows the API's message and
 * changes nothing.
 */
import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { isId } from '../../../domain/ids.ts';
import type { LearnerDeactivated, LearnerDto, LearnerErasedDto } from '../../schemas.ts';
import type { AdminContext, AdminEnv } from '../context.ts';
import { renderNotFound } from '../renderer.tsx';
import { formGaps, formGapsText, formText, isComplete, queryParam, readForm, refuseRepeated, sentField, type SentFormShape } from '../requests.ts';
import type { Banner } from '../views/layout.tsx';
import { LearnerPage } from '../views/learner.tsx';
import { LearnerForms, LearnersPage, type LearnerFormState } from '../views/learners.tsx';

/** How many of a learner's messages their page lists (the mailbox, filtered, has the rest). */
const LEARNER_MESSAGES = 50;
/** Learners per page of the list. */
const LEARNERS_PAGE = 50;

export const learners = new Hono<AdminEnv>();

learners.get('/', async (c) => {
  const { api } = c.var.admin;
  const q = queryParam(c, 'q');
  const before = queryParam(c, 'before');
  // The API checks both (a 400 is the page's 400).
  const page = await api.listLearners({ q, before, limit: LEARNERS_PAGE });
  let nextUrl: string | null = null;
  if (page.nextBefore) {
    const next = new URLSearchParams({ before: page.nextBefore });
    if (q) next.set('q', q);
    nextUrl = `/admin/learners?${next.toString()}`;
  }
  return c.render(<LearnersPage learners={page.learners} q={q ?? ''} nextUrl={nextUrl} />, { title: 'Learners', section: 'learners' });
});

/** What a learner page shows besides the learner: the forms' state, a banner, its status. */
interface LearnerRender {
  state?: LearnerFormState;
  banner?: Banner | null;
  status?: ContentfulStatusCode;
  fromPost?: boolean;
}

async function learnerPage(c: AdminContext, learner: LearnerDto, r: LearnerRender = {}): Promise<Response> {
  const { api } = c.var.admin;
  const [{ awards, recertificationUnavailable }, attempts, { messages, nextBefore }, certificates, courses] = await Promise.all([
    api.listLearnerAwards(learner.id),
    api.listAttempts(learner.id),
    api.listMessages({ learnerId: learner.id, limit: LEARNER_MESSAGES }),
    api.listCertificates({ includeArchived: true }),
    api.listCourses(),
  ]);
  c.status(r.status ?? 200);
  return await c.render(
    <>
      <LearnerPage
        learner={learner}
        awards={awards}
        recertificationUnavailable={recertificationUnavailable}
        attempts={attempts}
        messages={messages}
        moreMessages={nextBefore !== null}
        certificates={new Map(certificates.map((x) => [x.id, x]))}
        courses={new Map(courses.map((x) => [x.id, x]))}
      />
      <LearnerForms learner={learner} {...(r.state ? { state: r.state } : {})} />
    </>,
    { title: learner.name, section: 'learners', banner: r.banner, replaceUrl: r.fromPost ? `/admin/learners/${learner.id}` : undefined },
  );
}

/** The learner of the URL, or null (the 404 page). */
async function loadLearner(c: AdminContext): Promise<LearnerDto | null> {
  const id = c.req.param('id') ?? '';
  return isId(id) ? await c.var.admin.api.getLearner(id) : null;
}

/**
 * What every post of the learner edit form carries: name, email and manager's email (an emptied
 * manager field is sent empty and removes the manager). A post lacking one is refused (formGaps), so
 * a missing manager field never removes the manager.
 */
const LEARNER_EDIT_FIELDS = ['name', 'email', 'managerEmail'] as const;
const LEARNER_EDIT_FORM_SHAPE: SentFormShape = Object.fromEntries(LEARNER_EDIT_FIELDS.map((name) => [name, sentField]));

/** The status of a page answering a refused write: the API's, or 500 for anything unexpected. */
const refusedStatus = (status: number) => ([400, 409, 413, 415, 422].includes(status) ? status : 500) as ContentfulStatusCode;
/** The field a refusal names (`details.field`, or the first validation issue's path), if any. */
function fieldOf(details: unknown): string | null {
  if (!details || typeof details !== 'object') return null;
  const d = details as { field?: unknown; issues?: { path?: unknown }[] };
  if (typeof d.field === 'string') return d.field;
  const path = Array.isArray(d.issues) ? d.issues[0]?.path : undefined;
  return typeof path === 'string' ? path : null;
}

learners.get('/:id', async (c) => {
  const learner = await loadLearner(c);
  return learner ? learnerPage(c, learner) : renderNotFound(c, 'That learner');
});

learners.post('/:id', async (c) => {
  const learner = await loadLearner(c);
  if (!learner) return renderNotFound(c, 'That learner');
  const form = await readForm(c);
  refuseRepeated(form, LEARNER_EDIT_FIELDS);
  const gaps = formGaps(form, LEARNER_EDIT_FORM_SHAPE);
  if (!isComplete(gaps)) return learnerPage(c, learner, { status: 400, fromPost: true, banner: { kind: 'error', text: `Nothing was saved: ${formGapsText(gaps)}` } });
  const values = { name: formText(form, 'name'), email: formText(form, 'email'), managerEmail: formText(form, 'managerEmail') };
  const body: { name?: string; email?: string; managerEmail?: string | null } = {};
  if (values.name.trim() !== learner.name) body.name = values.name;
  if (values.email.trim() !== learner.email) body.email = values.email.trim();
  // The manager (issue 14 §4): an empty field removes them.
  const manager = values.managerEmail.trim() === '' ? null : values.managerEmail.trim();
  if (manager !== (learner.managerEmail ?? null)) body.managerEmail = manager;
  if (Object.keys(body).length === 0) return learnerPage(c, learner, { fromPost: true, banner: { kind: 'info', text: 'Nothing changed.' } });
  const answer = await c.var.admin.api.patch<LearnerDto>(`/api/learners/${learner.id}`, body);
  if (!answer.ok) {
    if (answer.status === 404) return renderNotFound(c, 'That learner');
    const field = fieldOf(answer.error.details);
    const errors = field === 'name' || field === 'email' || field === 'managerEmail' ? { [field]: answer.error.message } : {};
    return learnerPage(c, learner, {
      state: { ...values, errors },
      status: refusedStatus(answer.status),
      fromPost: true,
      banner: { kind: 'error', text: `Nothing was saved: ${answer.error.message}` },
    });
  }
  return learnerPage(c, answer.body, { fromPost: true, banner: { kind: 'ok', text: <strong>Learner saved.</strong> } });
});

learners.post('/:id/deactivate', async (c) => {
  const learner = await loadLearner(c);
  if (!learner) return renderNotFound(c, 'That learner');
  const form = await readForm(c);
  refuseRepeated(form, ['confirm']);
  if (formText(form, 'confirm') !== 'yes') {
    return learnerPage(c, learner, { status: 400, fromPost: true, banner: { kind: 'error', text: 'Nothing was changed: tick the box to confirm the deactivation.' } });
  }
  const answer = await c.var.admin.api.post<LearnerDeactivated>(`/api/learners/${learner.id}/deactivate`);
  if (!answer.ok) {
    return learnerPage(c, learner, { status: refusedStatus(answer.status), fromPost: true, banner: { kind: 'error', text: `Nothing was changed: ${answer.error.message}` } });
  }
  const n = answer.body.revokedAwards;
  return learnerPage(c, answer.body.learner, {
    fromPost: true,
    banner: { kind: 'ok', text: <strong>Learner deactivated: {n} award{n === 1 ? '' : 's'} revoked, their workflows ended.</strong> },
  });
});

learners.post('/:id/erase', async (c) => {
  const learner = await loadLearner(c);
  if (!learner) return renderNotFound(c, 'That learner');
  const form = await readForm(c);
  refuseRepeated(form, ['confirm']);
  const answer = await c.var.admin.api.post<LearnerErasedDto>(`/api/learners/${learner.id}/erase`, { confirm: formText(form, 'confirm') });
  if (!answer.ok) {
    return learnerPage(c, learner, {
      state: { name: learner.name, email: learner.email, errors: { confirm: answer.error.message } },
      status: refusedStatus(answer.status),
      fromPost: true,
      banner: { kind: 'error', text: `Nothing was erased: ${answer.error.message}` },
    });
  }
  const { temporal } = answer.body;
  return learnerPage(c, answer.body.learner, {
    fromPost: true,
    banner: {
      kind: 'ok',
      text: (
        <strong>
          Learner erased: {answer.body.messagesRedacted} messages redacted;{' '}
          {temporal.done ? `${temporal.deleted} workflow executions deleted from Temporal.` : 'their workflows will be deleted from Temporal shortly.'}
        </strong>
      ),
    },
  });
});
