/**
 * The import workflow's activities (workflows/import.ts): apply a page of rows (domain/import-apply.ts,
 * one transaction), start the recertification workflows of the awards it made, a bounded number at a
 * time, through the one starter of award workflows (domain/award-workflow-start.ts `ensureAwardWorkflows`:
 * deterministic ids, USE_EXISTING, one read and one write of the database per page), then wait until
 * the workers have taken all but IMPORT_MAX_TASK_BACKLOG of their first tasks, and mark the import
 * completed.
 */
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { Sql } from '../db/client.ts';
import type { Logger } from '../config/logger.ts';
import * as importsQ from '../db/queries/imports.ts';
import { applyImportPage } from '../domain/import-apply.ts';
import { ensureAwardWorkflows, waitForWorkflowTaskBacklog } from '../domain/award-workflow-start.ts';
import type { ImportActivities } from './types.ts';

export interface ImportActivityDeps {
  sql: Sql;
  client: Client;
  log: Logger;
  /** Workflow starts in flight at once per activity (default 32, IMPORT_START_CONCURRENCY): what bounds the import's load on Temporal. */
  startConcurrency?: number | undefined;
  /**
   * Workflow tasks allowed to wait on the task queue (default 500, IMPORT_MAX_TASK_BACKLOG; 0: no
   * pacing): after starting a page's workflows the activity waits until the workers have taken all but
   * this many, so the import keeps the workers' pace instead of piling first tasks on the queue.
   */
  maxTaskBacklog?: number | undefined;
}

/** The longest one start activity waits for the backlog to fall (ms), well inside its 5-minute start-to-close. */
const MAX_PACING_WAIT_MS = 3 * 60_000;

function heartbeat(details: unknown): void {
  try {
    Context.current().heartbeat(details);
  } catch {
    // called outside an activity (unit use): nothing to report to
  }
}

/** Runs `work`, heartbeating every 5 s meanwhile, so a killed worker's activity is retried within the heartbeat timeout. */
async function whileHeartbeating<T>(work: () => Promise<T>): Promise<T> {
  const timer = setInterval(() => heartbeat(null), 5000);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/** The task queue the recertification workflows start on: the one this activity runs on (the workflows' queue). */
function currentTaskQueue(): string {
  return Context.current().info.taskQueue;
}

export function createImportActivities({ sql, client, log, startConcurrency = 32, maxTaskBacklog = 500 }: ImportActivityDeps): ImportActivities {
  return {
    async applyImportPage({ importId, limit }) {
      const result = await whileHeartbeating(() => sql.begin((tx) => applyImportPage(tx, importId, limit)));
      log.debug({ importId, ...result }, 'import page applied');
      return result;
    },

    async startImportAwardWorkflows({ importId, limit }) {
      const ids = await importsQ.importAwardsAwaitingStart(sql, importId, limit + 1);
      const taskQueue = currentTaskQueue();
      const deps = { sql, client, log, config: { temporal: { taskQueue } } };
      const started = await whileHeartbeating(() => ensureAwardWorkflows(deps, ids.slice(0, limit), startConcurrency));
      if (started > 0 && maxTaskBacklog > 0) {
        // Keep the workers' pace: the next page (or the next run's first task) waits behind this backlog otherwise.
        const paced = await waitForWorkflowTaskBacklog(client, taskQueue, maxTaskBacklog, {
          timeoutMs: MAX_PACING_WAIT_MS,
          onPoll: (backlog) => heartbeat({ backlog }),
        }).catch((err: unknown) => {
          log.warn({ importId, err: String(err) }, 'import pacing: the task queue backlog could not be read; going on');
          return null;
        });
        if (paced) log.debug({ importId, started, ...paced }, 'import page started and paced');
      }
      return { started, more: ids.length > limit };
    },

    async completeImport({ importId }) {
      const done = await importsQ.completeImport(sql, importId);
      if (done) log.info({ importId }, 'import completed');
      return done;
    },
  };
}
