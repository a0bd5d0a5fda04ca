/**
 * The service's configuration, read from the environment once and validated with zod.
 * A bad variable stops the process at start with a message naming it.
 */
import { totalmem } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import { z } from 'zod';
import { canonicalTimeZone, DEFAULT_TIME_ZONE } from '../domain/instant-format.ts';
import { DEFAULT_SEND_WINDOW, parseSendWindow, type SendWindow } from '../domain/send-window.ts';
import { DIGEST_DAYS, type DigestDay } from '../domain/vocabulary.ts';

const optionalUrl = z.string().url().optional();

/**
 * WORKFLOW_TASK_SLOTS' default: the Temporal SDK's own, 40 (it was 200 for a while). Every slot's task
 * waits for the one workflow thread and is timed out 10 s after the worker took it; with 200 slots a
 * propagation to 10,000 workflows beyond the cache (each signal a replay) had reached 9,906 after 600 s.
 * A due step holds its slot while it sends (SEND_IN_DUE_STEP), yet a due burst against a provider
 * answering 300 ms late still drained in 1.16 × the engine floor with 40 (1.02 with 200).
 * bench/README.md has the runs.
 */
export const DEFAULT_WORKFLOW_TASK_SLOTS = 40;

/**
 * What one cached recertification workflow holds in the worker, KiB of RSS: its share of the
 * workflow thread's heap and the SDK's native state of the run. Measured 95–101 KiB of heap and
 * 169–250 KiB of RSS per cached workflow after a full collection, in bench/results: 169 KiB with
 * 10,000 cached (propagation-memory.default-cache.json), 232 KiB with 2,310 cached
 * (propagation-memory.100k.json; an upper bound, 7,690 evicted ones are in it), 224–250 KiB with 1,000
 * in the quick runs (propagation-memory.scale-0.1.json now and at f18e3db; fixed costs weigh more
 * there). Those are fresh workflows with small payloads; a workflow's share grows with the payloads
 * it sent and received (its status, the settings): rounded up, and `defaultWorkflowCacheSize` also
 * keeps the cache within a quarter of the memory (unless the SDK's own rule gives more).
 */
export const CACHED_WORKFLOW_KIB = 256;

/** The memory a worker process may use, MiB: V8's heap limit and the machine's or container's memory. */
export interface ProcessMemory {
  /** `v8.getHeapStatistics().heap_size_limit` (the same in the SDK's workflow thread), MiB. */
  heapLimitMiB: number;
  /** The least of the machine's memory and the container's limit (`process.constrainedMemory()`), MiB. */
  memoryMiB: number;
}

/**
 * The memory a process may use, MiB: the least of the machine's memory and the container's limit.
 * @param totalBytes `os.totalmem()`, bytes
 * @param constrainedBytes `process.constrainedMemory()`, bytes: 0 (or undefined, on older Node) when
 *   no limit is known, and a no-limit value such as 2^64 when the cgroup sets none; neither binds
 */
export function usableMemoryMiB(totalBytes: number, constrainedBytes: number | undefined): number {
  const limit = constrainedBytes !== undefined && constrainedBytes > 0 ? constrainedBytes : Number.POSITIVE_INFINITY;
  return Math.min(totalBytes, limit) / 2 ** 20;
}

/** This process's ProcessMemory. */
export function processMemory(): ProcessMemory {
  return { heapLimitMiB: getHeapStatistics().heap_size_limit / 2 ** 20, memoryMiB: usableMemoryMiB(totalmem(), process.constrainedMemory()) };
}

/**
 * WORKFLOW_CACHE_SIZE's default (issue 11): as many workflows as fit, at CACHED_WORKFLOW_KIB each, in
 * the lesser of the budget the Temporal SDK gives its own default (the V8 heap limit less 200 MiB) and
 * a quarter of the memory the process may use; never fewer than the SDK's default nor than the
 * workflow-task slots. The SDK's rule (1.24, worker-options.ts) caches 600 workflows per GiB of its
 * budget, a cautious figure for any workflow (its docs: about 1 MB per cached workflow): on this
 * machine's 4,144 MiB heap limit it caches 2,310, and a lead-days change to 10,000 awards of one
 * certificate then replays most of them from their histories (bench/README.md). This rule caches
 * 15,776 there (a quarter of its 24,105 MiB would allow 24,105), and a full cache keeps the worker's
 * RSS near the heap limit. Node sizes the heap limit from the machine's or container's memory (on
 * 64-bit half of it, at most about 2 GiB below about 15.5 GiB of memory and 4 GiB above);
 * `--max-old-space-size` in NODE_OPTIONS changes it, and WORKFLOW_CACHE_SIZE replaces this rule. Several workers on one host
 * without a limit each size themselves from the whole host: set WORKFLOW_CACHE_SIZE there.
 * @param memory the process's heap limit and memory (`processMemory()`), MiB
 * @param workflowTaskSlots WORKFLOW_TASK_SLOTS (the cache must hold every running task's workflow)
 * @returns workflows to keep cached
 */
export function defaultWorkflowCacheSize(memory: ProcessMemory, workflowTaskSlots: number): number {
  const sdkBudgetMiB = Math.max(memory.heapLimitMiB - 200, 0);
  const sdkDefault = Math.max(Math.floor((sdkBudgetMiB * 600) / 1024), 10);
  const budgetMiB = Math.min(sdkBudgetMiB, memory.memoryMiB / 4);
  return Math.max(Math.floor((budgetMiB * 1024) / CACHED_WORKFLOW_KIB), sdkDefault, workflowTaskSlots);
}

/** True when `value` parses as an absolute http: or https: URL. */
export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

const EnvSchema = z.object({
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
  TEMPORAL_ADDRESS: z.string().regex(/^[^\s:]+:\d+$/, 'must be host:port').optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  TEMPORAL_TLS: z.enum(['true', 'false']).optional(),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('recertification'),
  TEMPORAL_UI_URL: optionalUrl,
  RESEND_API_KEY: z.string().min(1).optional(),
  RESEND_BASE_URL: optionalUrl,
  /** The signing secret of the Resend webhook (`whsec_…`, Resend's dashboard); unset: POST /webhooks/resend answers 503. */
  RESEND_WEBHOOK_SECRET: z
    .string()
    .regex(/^whsec_[A-Za-z0-9+/]{16,}={0,2}$/, 'must be the webhook signing secret Resend shows: whsec_ followed by base64')
    .optional(),
  EMAIL_FROM: z.string().min(3).default('Recertify <recertify@example.com>'),
  EMAIL_REQUESTS_PER_SECOND: z.coerce.number().positive().max(1000).default(4),
  EMAIL_BATCH_SIZE: z.coerce.number().int().min(1).max(100).default(100),
  /** Recertification workflow starts an import keeps in flight at once, per import (workflows/import.ts). */
  IMPORT_START_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(32),
  /**
   * Workflow tasks an import lets wait on the task queue before it starts more workflows (Temporal's
   * estimate, DescribeTaskQueue): it keeps pace with the workers instead of flooding the queue. 0: no pacing.
   */
  IMPORT_MAX_TASK_BACKLOG: z.coerce.number().int().min(0).max(100_000).default(500),
  ADMIN_API_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Unset: `http://localhost:<PORT>`, so moving PORT alone keeps the links in messages right. */
  APP_BASE_URL: z.string().url().optional(),
  /**
   * Where a learner takes a course that has no `url` of its own: an http(s) URL pattern with
   * `{courseId}`, e.g. `https://lms.example.com/courses/{courseId}`. Unset: `<APP_BASE_URL>/courses/{courseId}`.
   */
  COURSE_URL_TEMPLATE: z
    .string()
    .refine((v) => v.includes('{courseId}'), 'must contain {courseId}')
    .refine((v) => isHttpUrl(v.replaceAll('{courseId}', 'id')), 'must be an http or https URL')
    .optional(),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  /** The API's Prometheus endpoint (`GET /metrics`, no token) on a port of its own, on HOST. Unset or 0: none. */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /** The worker's Prometheus endpoint (ours and the Temporal SDK's), on HOST. Unset or 0: none. */
  WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  RECONCILE_INTERVAL_SECONDS: z.coerce.number().int().min(0).default(30),
  WORKER_BUNDLE_PATH: z.string().optional(),
  /**
   * The Temporal SDK's workflow stack traces (the Temporal UI's Stack Trace tab): `on` records a stack
   * trace for every promise a workflow creates, about a third of the workflow thread's CPU in the due
   * burst benchmark; `off` (default) leaves them out and the query answers that they are off.
   */
  WORKFLOW_STACK_TRACES: z.enum(['on', 'off'], { message: 'must be on or off' }).default('off'),
  /**
   * Workflow tasks the worker runs at once (the SDK's maxConcurrentWorkflowTaskExecutions). They share
   * one workflow thread, and Temporal times a task out 10 s after the worker took it: lower it when the
   * worker's metrics show workflow task timeouts (long histories, a slow machine).
   */
  WORKFLOW_TASK_SLOTS: z.coerce.number().int().min(2).max(1000).default(DEFAULT_WORKFLOW_TASK_SLOTS),
  /**
   * Sleeping workflows the worker keeps in memory (the SDK's maxCachedWorkflows, ≈ 200 KiB of RSS
   * each); one not kept is replayed from its history when it next wakes. Unset: `defaultWorkflowCacheSize`
   * of the worker's heap limit and memory (15,776 with a 4 GiB heap limit and 24 GiB).
   */
  WORKFLOW_CACHE_SIZE: z.coerce.number().int().min(2).max(1_000_000).optional(),
  // Outbound webhooks (issue 10 §2): how often the API starts pending deliveries, and how they retry.
  WEBHOOK_DISPATCH_INTERVAL_SECONDS: z.coerce.number().min(0).max(3600).default(2),
  WEBHOOK_RETRY_INITIAL_SECONDS: z.coerce.number().positive().max(86_400).default(30),
  WEBHOOK_RETRY_MAX_INTERVAL_SECONDS: z.coerce.number().positive().max(86_400).default(3600),
  WEBHOOK_RETRY_HORIZON_SECONDS: z.coerce.number().positive().max(30 * 86_400).default(86_400),
  WEBHOOK_ATTEMPT_TIMEOUT_SECONDS: z.coerce.number().positive().max(300).default(15),
  WEBHOOK_DISABLE_AFTER_FAILURES: z.coerce.number().int().min(1).max(1000).default(3),
  NODE_ENV: z.string().optional(),
  /**
   * The key API tokens are hashed with (HMAC-SHA-256, api/tokens.ts). Unset: a fixed label, which is
   * still safe (tokens are 256-bit random) but lets a copy of the database confirm a token offline.
   * Changing it makes every stored token stop working (ADMIN_API_TOKEN is not affected).
   */
  API_TOKEN_HASH_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Failed authentications one client address may make per AUTH_FAILURE_WINDOW_SECONDS before it is refused (429). */
  AUTH_FAILURE_LIMIT: z.coerce.number().int().min(1).max(100_000).default(20),
  AUTH_FAILURE_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  // Messages learners can read (issue 13): the organisation's time zone and send window.
  /** The IANA time zone of learners without one of their own (Intl-validated, canonical spelling). Unset: UTC. */
  DEFAULT_TIME_ZONE: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return DEFAULT_TIME_ZONE;
      const zone = canonicalTimeZone(v.trim());
      if (!zone) ctx.addIssue({ code: 'custom', message: `must be an IANA time zone such as Europe/Berlin (got "${v}")` });
      return zone ?? DEFAULT_TIME_ZONE;
    }),
  /** The org-wide send window: `off` (default), `on` (08:00-18:00 mon-fri) or e.g. `09:00-17:00 mon-fri`. */
  SEND_WINDOW: z
    .string()
    .optional()
    .transform((v, ctx) => {
      const parsed = parseSendWindow(v ?? 'off');
      if (typeof parsed === 'string') {
        ctx.addIssue({ code: 'custom', message: parsed });
        return { ...DEFAULT_SEND_WINDOW, days: [...DEFAULT_SEND_WINDOW.days] };
      }
      return parsed;
    }),
  // The weekly digest for admins and managers (issue 14 §4), on a Temporal Schedule the worker keeps.
  /** `true` (default) or `false`: whether the worker keeps the digest's Temporal Schedule (false: it deletes it). */
  DIGEST_ENABLED: z.enum(['true', 'false'], { message: 'must be true or false' }).default('true'),
  /** The day of the week it goes out, in the organisation's time zone: monday … sunday (or mon … sun). */
  DIGEST_DAY: z
    .string()
    .default('monday')
    .transform((v, ctx) => {
      const day = parseDigestDay(v);
      if (!day) ctx.addIssue({ code: 'custom', message: `must be a day of the week, monday to sunday (got "${v}")` });
      return day ?? 'monday';
    }),
  /** The hour it goes out, 0–23, in the organisation's time zone. */
  DIGEST_HOUR: z
    .string()
    .default('8')
    .transform((v, ctx) => {
      const hour = /^\d{1,2}$/.test(v.trim()) ? Number(v.trim()) : NaN;
      if (!(hour >= 0 && hour <= 23)) ctx.addIssue({ code: 'custom', message: `must be a whole hour from 0 to 23 (got "${v}")` });
      return hour >= 0 && hour <= 23 ? hour : 8;
    }),
  /** Comma-separated addresses that get the whole academy's digest; unset: none (managers still get theirs). */
  DIGEST_ADMIN_EMAILS: z
    .string()
    .optional()
    .transform((v, ctx) => {
      const list = (v ?? '').split(',').map((e) => e.trim()).filter((e) => e !== '');
      const bad = list.filter((e) => !z.email().max(254).safeParse(e).success);
      if (bad.length) ctx.addIssue({ code: 'custom', message: `must be a comma-separated list of email addresses; not one: ${bad.map((b) => JSON.stringify(b)).join(', ')}` });
      return [...new Set(list.map((e) => e.toLowerCase()))];
    }),
});

/** `monday`…`sunday` or `mon`…`sun`, any case, to the digest's day; null for anything else. */
export function parseDigestDay(value: string): DigestDay | null {
  const v = value.trim().toLowerCase();
  return DIGEST_DAYS.find((d) => d === v || (v.length === 3 && d.startsWith(v))) ?? null;
}

export type Env = z.infer<typeof EnvSchema>;

export interface Config {
  databaseUrl: string;
  temporal: {
    address: string;
    namespace: string;
    apiKey: string | undefined;
    tls: boolean;
    taskQueue: string;
    uiUrl: string;
  };
  email: {
    resendApiKey: string | undefined;
    resendBaseUrl: string | undefined;
    /** RESEND_WEBHOOK_SECRET: verifies POST /webhooks/resend; undefined answers 503 there. */
    resendWebhookSecret?: string | undefined;
    from: string;
    requestsPerSecond: number;
    batchSize: number;
  };
  /** IMPORT_START_CONCURRENCY: workflow starts an import keeps in flight at once. */
  importStartConcurrency: number;
  /** IMPORT_MAX_TASK_BACKLOG: workflow tasks an import lets wait on the task queue before it starts more (0: no pacing). */
  importMaxTaskBacklog: number;
  adminApiToken: string;
  appBaseUrl: string;
  /** COURSE_URL_TEMPLATE, or `<appBaseUrl>/courses/{courseId}`: the link to a course without a `url`. */
  courseUrlTemplate: string;
  /** DEFAULT_TIME_ZONE (canonical IANA name), or UTC: the zone of learners without their own. */
  defaultTimeZone: string;
  /** SEND_WINDOW: the org-wide send window (off unless set); a certificate's `sendWindow` overrides it. */
  sendWindow: SendWindow;
  port: number;
  host: string;
  /** METRICS_PORT: the API's `GET /metrics` port, or null for no endpoint (unset or 0). */
  metricsPort: number | null;
  /** WORKER_METRICS_PORT: the worker's `GET /metrics` port, or null for no endpoint (unset or 0). */
  workerMetricsPort: number | null;
  logLevel: Env['LOG_LEVEL'];
  reconcileIntervalSeconds: number;
  workerBundlePath: string | undefined;
  /** WORKFLOW_STACK_TRACES=on: the worker records workflow stack traces (worker/workers.ts). */
  workflowStackTraces: boolean;
  /** WORKFLOW_TASK_SLOTS: workflow tasks the worker runs at once (worker/workers.ts). */
  workflowTaskSlots: number;
  /** WORKFLOW_CACHE_SIZE: workflows the worker keeps cached; null: `defaultWorkflowCacheSize` of its heap limit and memory (worker/workers.ts). */
  workflowCacheSize: number | null;
  /** Outbound webhooks: the dispatcher's interval (0: off) and the delivery policy (workflows/webhook-delivery.ts). */
  webhooks: {
    dispatchIntervalSeconds: number;
    retryInitialSeconds: number;
    retryMaxIntervalSeconds: number;
    retryHorizonSeconds: number;
    attemptTimeoutSeconds: number;
    disableAfterFailures: number;
  };
  /** Access (issue 15): the API tokens' hash key and the limit on failed authentications per client address. */
  access: {
    tokenHashKey: string;
    authFailureLimit: number;
    authFailureWindowSeconds: number;
  };
  /** The weekly digest (issue 14 §4): DIGEST_ENABLED, DIGEST_DAY, DIGEST_HOUR (in `defaultTimeZone`), DIGEST_ADMIN_EMAILS. */
  digest: DigestConfig;
}

/** When the weekly digest goes out and to which admin addresses; read in the organisation's time zone. */
export interface DigestConfig {
  /** Whether the worker keeps the digest's Temporal Schedule. */
  enabled: boolean;
  day: DigestDay;
  /** 0–23, local to `timeZone`. */
  hour: number;
  /** Lower-cased, deduplicated; they get the whole academy's digest. */
  adminEmails: string[];
  /** The organisation's IANA time zone (DEFAULT_TIME_ZONE). */
  timeZone: string;
}

export class ConfigError extends Error {
  constructor(public readonly issues: string[]) {
    super(`Invalid configuration:\n  ${issues.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** Defaults that make `npm run dev` work with no configuration; production sets every one. */
export const DEV_DEFAULTS = {
  DATABASE_URL: 'postgres://postgres:postgres@127.0.0.1:5432/recertify',
  TEMPORAL_ADDRESS: '127.0.0.1:7233',
  ADMIN_API_TOKEN: 'dev-admin-token-change-me',
};

export function loadConfig(source: Record<string, string | undefined> = process.env): Config {
  // Empty strings count as unset, as shells and .env files often leave them.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const env = parsed.data;
  const production = env.NODE_ENV === 'production';
  const missing: string[] = [];
  const pick = (name: keyof typeof DEV_DEFAULTS, value: string | undefined): string => {
    if (value) return value;
    if (production) missing.push(`${name}: required when NODE_ENV=production`);
    return DEV_DEFAULTS[name];
  };
  // More slots than cached workflows would leave tasks waiting for room in the cache; the SDK (1.24,
  // which turns the slots into its tuner) does not check it.
  if (env.WORKFLOW_CACHE_SIZE !== undefined && env.WORKFLOW_TASK_SLOTS > env.WORKFLOW_CACHE_SIZE) {
    missing.push(`WORKFLOW_TASK_SLOTS: must not exceed WORKFLOW_CACHE_SIZE (${env.WORKFLOW_TASK_SLOTS} > ${env.WORKFLOW_CACHE_SIZE})`);
  }
  const appBaseUrl = (env.APP_BASE_URL ?? `http://localhost:${env.PORT}`).replace(/\/$/, '');
  const config: Config = {
    databaseUrl: pick('DATABASE_URL', env.DATABASE_URL),
    temporal: {
      address: pick('TEMPORAL_ADDRESS', env.TEMPORAL_ADDRESS),
      namespace: env.TEMPORAL_NAMESPACE,
      apiKey: env.TEMPORAL_API_KEY,
      tls: env.TEMPORAL_TLS ? env.TEMPORAL_TLS === 'true' : Boolean(env.TEMPORAL_API_KEY),
      taskQueue: env.TEMPORAL_TASK_QUEUE,
      uiUrl: env.TEMPORAL_UI_URL ?? 'http://localhost:8233',
    },
    email: {
      resendApiKey: env.RESEND_API_KEY,
      resendBaseUrl: env.RESEND_BASE_URL,
      resendWebhookSecret: env.RESEND_WEBHOOK_SECRET,
      from: env.EMAIL_FROM,
      requestsPerSecond: env.EMAIL_REQUESTS_PER_SECOND,
      batchSize: env.EMAIL_BATCH_SIZE,
    },
    importStartConcurrency: env.IMPORT_START_CONCURRENCY,
    importMaxTaskBacklog: env.IMPORT_MAX_TASK_BACKLOG,
    adminApiToken: pick('ADMIN_API_TOKEN', env.ADMIN_API_TOKEN),
    appBaseUrl,
    courseUrlTemplate: env.COURSE_URL_TEMPLATE ?? `${appBaseUrl}/courses/{courseId}`,
    defaultTimeZone: env.DEFAULT_TIME_ZONE,
    sendWindow: env.SEND_WINDOW,
    port: env.PORT,
    host: env.HOST,
    metricsPort: env.METRICS_PORT || null,
    workerMetricsPort: env.WORKER_METRICS_PORT || null,
    logLevel: env.LOG_LEVEL,
    reconcileIntervalSeconds: env.RECONCILE_INTERVAL_SECONDS,
    workerBundlePath: env.WORKER_BUNDLE_PATH,
    workflowStackTraces: env.WORKFLOW_STACK_TRACES === 'on',
    workflowTaskSlots: env.WORKFLOW_TASK_SLOTS,
    workflowCacheSize: env.WORKFLOW_CACHE_SIZE ?? null,
    webhooks: {
      dispatchIntervalSeconds: env.WEBHOOK_DISPATCH_INTERVAL_SECONDS,
      retryInitialSeconds: env.WEBHOOK_RETRY_INITIAL_SECONDS,
      retryMaxIntervalSeconds: env.WEBHOOK_RETRY_MAX_INTERVAL_SECONDS,
      retryHorizonSeconds: env.WEBHOOK_RETRY_HORIZON_SECONDS,
      attemptTimeoutSeconds: env.WEBHOOK_ATTEMPT_TIMEOUT_SECONDS,
      disableAfterFailures: env.WEBHOOK_DISABLE_AFTER_FAILURES,
    },
    access: {
      tokenHashKey: env.API_TOKEN_HASH_KEY ?? 'recertify-api-token.v1',
      authFailureLimit: env.AUTH_FAILURE_LIMIT,
      authFailureWindowSeconds: env.AUTH_FAILURE_WINDOW_SECONDS,
    },
    digest: {
      enabled: env.DIGEST_ENABLED === 'true',
      day: env.DIGEST_DAY,
      hour: env.DIGEST_HOUR,
      adminEmails: env.DIGEST_ADMIN_EMAILS,
      timeZone: env.DEFAULT_TIME_ZONE,
    },
  };
  if (missing.length) throw new ConfigError(missing);
  return config;
}

/** Loads the config or exits with the message naming the bad variables. */
export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
}
