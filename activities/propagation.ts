/** Activities that signal a certificate's running workflows after its settings changed. */
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Sql } from '../db/client.ts';
import * as awardsQ from '../db/queries/awards.ts';
import * as certsQ from '../db/queries/certificates.ts';
import type { Logger } from '../config/logger.ts';
import { settingsSignalNeeded } from '../domain/recertification-steps.ts';
import { settingsChangedSignal } from '../workflows/contract.ts';
import type { PropagationActivities, SignalPageInput, SignalPageResult } from './types.ts';

export interface PropagationDeps {
  sql: Sql;
  client: Client;
  log: Logger;
  /** Signals in flight at once per activity. */
  concurrency?: number;
}

function heartbeat(details: unknown): void {
  try {
    Context.current().heartbeat(details);
  } catch {
    // called outside an activity (unit use): nothing to report to
  }
}

export function createPropagationActivities({ sql, client, log, concurrency = 32 }: PropagationDeps): PropagationActivities {
  return {
    async signalCertificateWorkflows(input: SignalPageInput): Promise<SignalPageResult> {
      const current = await certsQ.getCertificate(sql, input.certificateId);
      if (!current) return { signalled: 0, skipped: 0, nextAfterAwardId: null };
      // Always send the newest settings; the workflow ignores versions older than what it has.
      const payload = { settingsVersion: current.settingsVersion, settings: current.settings };
      const leadDaysBefore = await certsQ.propagationLeadDaysBefore(sql, input.certificateId, input.settingsVersion);
      const leadDaysAfter = current.settings.recertification.leadDays;
      const rows = await awardsQ.activeWorkflowPage(sql, input);
      const asOf = Date.now();
      const page = rows.filter((r) =>
        settingsSignalNeeded({ enrolled: r.enrolled, expiresMs: r.expiresAt?.getTime() ?? null, leadDaysBefore, leadDaysAfter, asOf }),
      );
      const unaffected = rows.length - page.length;
      let signalled = 0;
      let skipped = 0;
      let next = 0;
      const workers = Array.from({ length: Math.min(concurrency, page.length) }, async () => {
        while (next < page.length) {
          const row = page[next++]!;
          try {
            await client.workflow.getHandle(row.workflowId).signal(settingsChangedSignal, payload);
            signalled++;
          } catch (err) {
            if (err instanceof WorkflowNotFoundError) skipped++;
            else throw err;
          }
          if ((signalled + skipped) % 100 === 0) heartbeat({ done: signalled + skipped });
        }
      });
      await Promise.all(workers);
      log.debug({ certificateId: input.certificateId, signalled, skipped, unaffected }, 'settings propagation page');
      return {
        signalled,
        skipped,
        unaffected,
        nextAfterAwardId: rows.length === input.limit ? rows[rows.length - 1]!.id : null,
      };
    },

    async completeSettingsPropagation(input): Promise<void> {
      await certsQ.completePropagation(sql, input);
      log.info(input, 'settings propagated');
    },
  };
}
