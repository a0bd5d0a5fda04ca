/**
 * `/admin/learners/:id`: a learner's name and email, awards (with their workflow's phase), course
 * attempts and latest messages, each linked to the page that shows it. An unknown or malformed id is
 * the 404 page.
 */
import { Hono } from 'hono';
import { isId } from '../../../domain/ids.ts';
import type { AdminEnv } from '../context.ts';
import { renderNotFound } from '../renderer.tsx';
import { LearnerPage } from '../views/learner.tsx';

/** How many of a learner's messages their page lists (the mailbox, filtered, has the rest). */
const LEARNER_MESSAGES = 50;

export const learners = new Hono<AdminEnv>();

learners.get('/:id', async (c) => {
  const { api } = c.var.admin;
  const id = c.req.param('id');
  const learner = isId(id) ? await api.getLearner(id) : null;
  if (!learner) return renderNotFound(c, 'That learner');
  const [{ awards, recertificationUnavailable }, attempts, { messages, nextBefore }, certificates, courses] = await Promise.all([
    api.listLearnerAwards(learner.id),
    api.listAttempts(learner.id),
    api.listMessages({ learnerId: learner.id, limit: LEARNER_MESSAGES }),
    api.listCertificates(),
    api.listCourses(),
  ]);
  return c.render(
    <LearnerPage
      learner={learner}
      awards={awards}
      recertificationUnavailable={recertificationUnavailable}
      attempts={attempts}
      messages={messages}
      moreMessages={nextBefore !== null}
      certificates={new Map(certificates.map((x) => [x.id, x]))}
      courses={new Map(courses.map((x) => [x.id, x]))}
    />,
    { title: learner.name, section: 'none' },
  );
});
