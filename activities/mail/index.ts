/** The mailer the worker runs: Resend when RESEND_API_KEY is set, else the log provider. */
import type { Config } from '../../config/env.ts';
import type { Logger } from '../../config/logger.ts';
import type { Sql } from '../../db/client.ts';
import { createMailer, type Mailer } from './mailer.ts';
import { LogProvider, ResendProvider, type MailProvider } from './providers.ts';

export { createMailer, type Mailer, type MessageDraft, type DeliveryResult } from './mailer.ts';
export { LogProvider, ResendProvider, RetryableSendError, type MailProvider } from './providers.ts';

export function createProviderFromConfig(email: Config['email'], log: Logger): MailProvider {
  if (email.resendApiKey) return new ResendProvider({ apiKey: email.resendApiKey, baseUrl: email.resendBaseUrl });
  log.warn('RESEND_API_KEY is not set: messages are recorded and logged, not emailed');
  return new LogProvider(log);
}

export function createMailerFromConfig(email: Config['email'], sql: Sql, log: Logger): Mailer {
  const provider = createProviderFromConfig(email, log);
  return createMailer({
    sql,
    provider,
    // The log provider makes no requests: no reason to hold messages back.
    requestsPerSecond: provider.name === 'resend' ? email.requestsPerSecond : 1000,
    batchSize: email.batchSize,
    lingerMs: provider.name === 'resend' ? 100 : 10,
    log,
  });
}
