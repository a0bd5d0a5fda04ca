/** The mailer the worker runs: Resend when RESEND_API_KEY is set, else the log provider. */
import type { Config } from '../../config/env.ts';
import type { Logger } from '../../config/logger.ts';
import type { Sql } from '../../db/client.ts';
import type { MessageRow } from '../../db/rows.ts';
import { applyUnmatchedDeliveryEvents, recordDeliveryEvent } from '../../domain/delivery.ts';
import { createMailer, type Mailer } from './mailer.ts';
import { LogProvider, ResendProvider, type MailProvider } from './providers.ts';

export { createMailer, type Mailer, type MessageDraft, type DeliveryResult } from './mailer.ts';
export { LogProvider, ResendProvider, RetryableSendError, type MailProvider } from './providers.ts';

export function createProviderFromConfig(email: Config['email'], log: Logger): MailProvider {
  if (email.resendApiKey) return new ResendProvider({ apiKey: email.resendApiKey, baseUrl: email.resendBaseUrl });
  log.warn('RESEND_API_KEY is not set: messages are recorded and logged, not emailed');
  return new LogProvider(log);
}

/**
 * What follows a recorded send (issue 10 §1). Resend: webhook events that arrived before the send was
 * recorded are applied now. The log provider delivers nothing, so it records the delivery Resend
 * would report, `sent` then `delivered`, through the same domain function the webhook uses (the dev
 * stack's mailbox shows a timeline).
 */
export function afterSentFor(provider: MailProvider, sql: Sql): (rows: MessageRow[]) => Promise<void> {
  if (provider.name === 'resend') return async (rows) => void (await applyUnmatchedDeliveryEvents(sql, rows));
  return async (rows) => {
    await sql.begin(async (tx) => {
      for (const row of rows) {
        const at = row.sentAt ?? new Date();
        for (const type of ['sent', 'delivered'] as const) {
          await recordDeliveryEvent(tx, { messageId: row.id, type, providerEventId: `${row.providerMessageId ?? row.id}:${type}`, occurredAt: at, detail: 'log provider: recorded, not emailed', hardBounce: false });
        }
      }
    });
  };
}

export function createMailerFromConfig(email: Config['email'], sql: Sql, log: Logger): Mailer {
  const provider = createProviderFromConfig(email, log);
  return createMailer({
    afterSent: afterSentFor(provider, sql),
    sql,
    provider,
    // The log provider makes no requests: no reason to hold messages back.
    requestsPerSecond: provider.name === 'resend' ? email.requestsPerSecond : 1000,
    batchSize: email.batchSize,
    lingerMs: provider.name === 'resend' ? 100 : 10,
    log,
  });
}
