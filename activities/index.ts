/** Builds every activity from its dependencies (database, Temporal client, mailer). */
import type { Client } from '@temporalio/client';
import type { Sql } from '../db/client.ts';
import type { Logger } from '../config/logger.ts';
import { createRecertificationActivities } from './recertification.ts';
import { createPropagationActivities } from './propagation.ts';
import { createMessageActivities } from './messages.ts';
import { createImportActivities } from './imports.ts';
import { createWebhookActivities } from './webhooks.ts';
import type { Mailer } from './mail/mailer.ts';
import type { SendWindow } from '../domain/send-window.ts';
import type { ImportActivities, MessageActivities, PropagationActivities, RecertificationActivities, WebhookActivities } from './types.ts';

export interface ActivityDeps {
  sql: Sql;
  client: Client;
  mailer: Mailer;
  appBaseUrl: string;
  /** Config.courseUrlTemplate: the link to a course without a `url`, `{courseId}` filled in. */
  courseUrlTemplate?: string;
  from: string;
  log: Logger;
  /** Config.defaultTimeZone: the zone of learners without one (issue 13). Unset: UTC. */
  defaultTimeZone?: string;
  /** Config.sendWindow: the org-wide send window (issue 13). Unset: off. */
  sendWindow?: SendWindow;
  /** Config.importStartConcurrency: workflow starts an import keeps in flight (default 32). */
  importStartConcurrency?: number;
  /** Config.importMaxTaskBacklog: workflow tasks an import lets wait before it starts more (default 500; 0: no pacing). */
  importMaxTaskBacklog?: number;
}

export function createActivities(deps: ActivityDeps): {
  activities: RecertificationActivities & PropagationActivities & ImportActivities & WebhookActivities;
  messageActivities: MessageActivities;
} {
  return {
    activities: {
      ...createRecertificationActivities(deps),
      ...createPropagationActivities(deps),
      ...createImportActivities({ ...deps, startConcurrency: deps.importStartConcurrency, maxTaskBacklog: deps.importMaxTaskBacklog }),
      ...createWebhookActivities(deps),
    },
    messageActivities: createMessageActivities(deps),
  };
}
