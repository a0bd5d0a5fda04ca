/** Builds every activity from its dependencies (database, Temporal client, mailer). */
import type { Client } from '@temporalio/client';
import type { Sql } from '../db/client.ts';
import type { Logger } from '../config/logger.ts';
import { createRecertificationActivities } from './recertification.ts';
import { createPropagationActivities } from './propagation.ts';
import { createMessageActivities } from './messages.ts';
import { createImportActivities } from './imports.ts';
import { createWebhookActivities } from './webhooks.ts';
import { createDigestActivities } from './digest.ts';
import type { DigestConfig } from '../config/env.ts';
import type { Mailer } from './mail/mailer.ts';
import type { SendWindow } from '../domain/send-window.ts';
import type { DigestActivities, ImportActivities, MessageActivities, PropagationActivities, RecertificationActivities, WebhookActivities } from './types.ts';

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
  /** Config.digest: the weekly digest's timing and admin addresses (issue 14 §4). Unset: Monday 08:00 in `defaultTimeZone`, no admin address. */
  digest?: DigestConfig;
}

export function createActivities(deps: ActivityDeps): {
  activities: RecertificationActivities & PropagationActivities & ImportActivities & WebhookActivities;
  messageActivities: MessageActivities & DigestActivities;
} {
  const digest: DigestConfig = deps.digest ?? { enabled: true, day: 'monday', hour: 8, adminEmails: [], timeZone: deps.defaultTimeZone ?? 'UTC' };
  return {
    activities: {
      ...createRecertificationActivities(deps),
      ...createPropagationActivities(deps),
      ...createImportActivities({ ...deps, startConcurrency: deps.importStartConcurrency, maxTaskBacklog: deps.importMaxTaskBacklog }),
      ...createWebhookActivities(deps),
    },
    // On the email task queue: the digest sends through the worker's mailer, like every message.
    messageActivities: { ...createMessageActivities(deps), ...createDigestActivities({ ...deps, digest }) },
  };
}
