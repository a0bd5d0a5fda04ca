/**
 * Phase and due time of a certificate's recertification workflows for the Awards view: one Temporal
 * visibility query by the `CertificateId` search attribute (the one an admin types in the Temporal
 * UI), and for awards visibility does not show yet (it lags the workflow by a moment) the workflow's
 * own `status` query through `GET /api/awards/:id`.
 */
import type { Client } from '@temporalio/client';
import type { Logger } from '../../config/logger.ts';
import { isId } from '../../domain/ids.ts';
import type { Phase } from '../../domain/vocabulary.ts';
import { RECERTIFICATION_WORKFLOW } from '../../workflows/contract.ts';
import { AwardId, RecertificationDueAt, RecertificationPhase } from '../../workflows/search-attributes.ts';
import type { AwardDto } from '../schemas.ts';
import type { AdminApi } from './api-client.ts';
import { isPhase } from './views/labels.ts';

/** What the Awards tab shows of one award's workflow. */
export interface WorkflowPhase {
  phase: Phase | null;
  dueAt: string | null;
  /** Temporal's execution status (RUNNING, COMPLETED, …) when known. */
  workflowStatus: string | null;
  source: 'visibility' | 'status query';
  /** Why the phase is unknown, when it is. */
  note?: string;
}

/** At most this many status queries per page view (each is a round trip to a worker). */
const MAX_STATUS_QUERIES = 25;
const TIMEOUT_MS = 4000;

/**
 * The visibility query for a certificate's award workflows (one run each), optionally due in
 * [from, until). Throws an Error when `certificateId` is not an id (it is written into the query).
 */
export function certificateQuery(certificateId: string, due?: { from: Date; until: Date }): string {
  if (!isId(certificateId)) throw new Error('certificate ids are UUIDs');
  const base = `CertificateId = '${certificateId}'`;
  // A run that continued as new keeps its ids but clears its phase and due time
  // (continueAsNewWhenHistoryIsLong, workflows/recertification/lifecycle.ts):
  // the due-time query finds the running run alone; the plain list leaves the continued runs out.
  return due
    ? `${base} AND RecertificationDueAt >= '${due.from.toISOString()}' AND RecertificationDueAt < '${due.until.toISOString()}'`
    : `${base} AND ExecutionStatus != 'ContinuedAsNew'`;
}

/** The first instant of this UTC month and of the next: "due this month". */
export function thisMonth(now: Date = new Date()): { from: Date; until: Date } {
  const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const until = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  return { from, until };
}

/**
 * Each award's workflow phase and due time: from one visibility query, then for awards it does not
 * list yet (or when it fails: `visibilityError`) from the workflow's `status` query via
 * `GET /api/awards/:id`, at most MAX_STATUS_QUERIES of them. Never throws for Temporal's failures.
 */
export async function workflowPhases(
  deps: { client: Client; log: Logger },
  api: AdminApi,
  certificateId: string,
  awards: AwardDto[],
): Promise<{ phases: Map<string, WorkflowPhase>; visibilityError: string | null }> {
  const phases = new Map<string, WorkflowPhase>();
  let visibilityError: string | null = null;
  try {
    await deps.client.withDeadline(Date.now() + TIMEOUT_MS, async () => {
      for await (const wf of deps.client.workflow.list({ query: certificateQuery(certificateId) })) {
        if (wf.type !== RECERTIFICATION_WORKFLOW) continue;
        const awardId = wf.typedSearchAttributes.get(AwardId);
        if (!awardId) continue;
        const due = wf.typedSearchAttributes.get(RecertificationDueAt);
        const phase = wf.typedSearchAttributes.get(RecertificationPhase) ?? null;
        phases.set(awardId, {
          phase: phase !== null && isPhase(phase) ? phase : null,
          dueAt: due ? due.toISOString() : null,
          workflowStatus: wf.status.name,
          source: 'visibility',
          ...(phase !== null && !isPhase(phase) ? { note: `unknown phase “${phase}”` } : {}),
        });
      }
    });
  } catch (err) {
    visibilityError = err instanceof Error ? err.message : String(err);
    deps.log.warn({ err, certificateId }, 'admin: visibility query failed; falling back to status queries');
  }
  // An award without a workflowUrl has no workflow left to ask (its learner's erasure deleted it).
  const missing = awards.filter((a) => a.workflowId && a.workflowUrl && !phases.has(a.id)).slice(0, MAX_STATUS_QUERIES);
  await Promise.all(
    missing.map(async (a) => {
      const view = await api.getAward(a.id).catch(() => null);
      const r = view?.recertification;
      phases.set(
        a.id,
        r
          ? { phase: r.phase, dueAt: r.dueAt, workflowStatus: view.workflowStatus, source: 'status query' }
          : { phase: null, dueAt: null, workflowStatus: view?.workflowStatus ?? null, source: 'status query', note: view?.recertificationUnavailable ?? 'unavailable' },
      );
    }),
  );
  return { phases, visibilityError };
}
