/**
 * The Prometheus endpoints on the real stack: a worker process (test/support/worker-process.ts, built
 * as worker/main.ts) with WORKER_METRICS_PORT and an API process (api/main.ts) with METRICS_PORT. A
 * small run (award → due → enrolled → the expiring notice sent → the attempt completed → renewed, so
 * the first workflow completes) moves our counters and the Temporal SDK's, and the API's request
 * metrics carry route patterns, never ids.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { DAY_MS } from '../domain/dates.ts';
import type { AttemptDto, AwardDto, CertificateDto, CourseDto, LearnerDto, MessageDto } from '../api/schemas.ts';
import { freePort } from '../scripts/tools.ts';
import { startServices, type Services } from './support/stack.ts';
import type { ApiProcess } from './support/stack/api.ts';
import { startWorkerMetricsServer } from '../config/metrics-server.ts';

let services: Services;
let api: ApiProcess;
let apiMetrics: string;
let workerMetrics: string;

before(async () => {
  const [metricsPort, workerMetricsPort] = [await freePort(), await freePort()];
  services = await startServices({ dbPrefix: 'metrics', env: { METRICS_PORT: String(metricsPort), WORKER_METRICS_PORT: String(workerMetricsPort) } });
  await services.spawnWorker();
  api = await services.spawnApi();
  apiMetrics = `http://127.0.0.1:${metricsPort}/metrics`;
  workerMetrics = `http://127.0.0.1:${workerMetricsPort}/metrics`;
});
after(async () => {
  await services?.stop();
});

/** One sample of a Prometheus text exposition. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition (comments skipped). */
function parseExposition(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    assert.ok(m, `a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

async function scrape(url: string): Promise<{ text: string; samples: Sample[] }> {
  const res = await fetch(url); // no token: the metrics ports are internal (README, Metrics)
  assert.equal(res.status, 200, `GET ${url}`);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
  const text = await res.text();
  return { text, samples: parseExposition(text) };
}

/** The value of the sample named `name` whose labels include `labels`; undefined when there is none. */
function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

async function call<T>(method: string, path: string, body: unknown, expect: number): Promise<T> {
  const res = await api.request<T>(method, path, body);
  assert.equal(res.status, expect, `${method} ${path}: ${JSON.stringify(res.body)}`);
  return res.body;
}

test('both endpoints: after an award is enrolled, notified and renewed, our counters and the SDK metrics moved, by route pattern', async () => {
  // Before anything ran: the counters exist at zero (a rate() over them starts right).
  const before = await scrape(workerMetrics);
  assert.equal(valueOf(before.samples, 'recertify_messages_total', { kind: 'certificate_expiring', outcome: 'sent' }), 0);
  assert.equal(valueOf(before.samples, 'recertify_webhook_deliveries_total', { outcome: 'delivered' }), 0);

  // A subscriber to award.created and award.renewed that answers 204: its deliveries are counted by the worker.
  const received: { type: string; data: { awardId: string; renewedByAwardId: string | null } }[] = [];
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as (typeof received)[number]);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  after(() => new Promise<void>((resolve) => receiver.close(() => resolve())));
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
  await call('POST', '/api/webhooks', { url: receiverUrl, eventTypes: ['award.created', 'award.renewed'] }, 201);

  const learner = await call<LearnerDto>('POST', '/api/learners', { email: 'metrics@example.com', name: 'Mette Tricks' }, 201);
  const course = await call<CourseDto>('POST', '/api/courses', { title: 'Metrics Refresher', status: 'live' }, 201);
  const { certificate } = await call<{ certificate: CertificateDto }>(
    'POST',
    '/api/certificates',
    {
      title: 'Metrics Operator',
      associatedCourseIds: [course.id],
      settings: {
        expiration: { enabled: true, validFor: { amount: 60, unit: 'days' }, anchor: 'completion' },
        recertification: { enabled: true, courseId: course.id, leadDays: 30 },
        expiringNotice: { enabled: true },
      },
    },
    201,
  );
  // Due (expiry − 30 days) about two seconds from now.
  const { award } = await call<{ award: AwardDto }>(
    'POST',
    `/api/certificates/${certificate.id}/awards`,
    { learnerId: learner.id, awardedAt: new Date(Date.now() + 2000 - 30 * DAY_MS).toISOString() },
    201,
  );
  await services.eventually('the expiring notice sent', async () => {
    const { messages } = await call<{ messages: MessageDto[] }>('GET', `/api/messages?awardId=${award.id}`, undefined, 200);
    return messages.some((m) => m.kind === 'certificate_expiring' && m.status === 'sent');
  }, 60_000);
  const attempt = await services.eventually('the recertification attempt', async () => {
    const { attempts } = await call<{ attempts: AttemptDto[] }>('GET', `/api/attempts?learnerId=${learner.id}`, undefined, 200);
    return attempts.find((a) => a.awardId === award.id);
  });
  await call('POST', `/api/attempts/${attempt.id}/complete`, undefined, 200);
  await services.eventually('the first workflow completed', async () => {
    const desc = await services.client.workflow.getHandle(`recertification-${award.id}`).describe();
    return desc.status.name === 'COMPLETED';
  }, 60_000);
  // A 404 on a route (an unknown id) and a path no route matches.
  const unknownId = randomUUID();
  await call('GET', `/api/awards/${unknownId}`, undefined, 404);
  await call('GET', `/no/such/path/${unknownId}`, undefined, 404);

  // The worker: our counters and the SDK's (the SDK's exporter flushes on its own schedule: wait for it).
  const worker = await services.eventually('the SDK counted the completed workflow and the webhook deliveries were counted', async () => {
    const s = await scrape(workerMetrics);
    return (valueOf(s.samples, 'temporal_workflow_completed_total') ?? 0) >= 1 &&
      (valueOf(s.samples, 'recertify_webhook_deliveries_total', { outcome: 'delivered' }) ?? 0) >= 3 ? s : null;
  });
  assert.ok((valueOf(worker.samples, 'recertify_messages_total', { kind: 'certificate_expiring', outcome: 'sent' }) ?? 0) >= 1, 'the expiring notice counted sent');
  assert.ok((valueOf(worker.samples, 'recertify_mailer_provider_requests_total', { provider: 'resend', outcome: 'answered' }) ?? 0) >= 1, 'a provider request counted');
  assert.equal(valueOf(worker.samples, 'recertify_mailer_provider_requests_total', { provider: 'resend', outcome: 'rate_limited' }), 0, 'no 429 from the fake Resend');
  assert.ok((valueOf(worker.samples, 'recertify_mailer_provider_request_duration_seconds_count', { provider: 'resend', outcome: 'answered' }) ?? 0) >= 1);
  assert.equal(valueOf(worker.samples, 'recertify_mailer_queue_depth'), 0, 'nothing waits in the mailer now');
  // award.created for the award and for its renewal, award.renewed for the award: each delivered once to the 204 receiver.
  assert.equal(valueOf(worker.samples, 'recertify_webhook_deliveries_total', { outcome: 'delivered' }), 3, 'each event delivered once, counted once');
  assert.deepEqual(received.map((e) => e.type).sort(), ['award.created', 'award.created', 'award.renewed']);
  const renewed = received.find((e) => e.type === 'award.renewed')!;
  assert.equal(renewed.data.awardId, award.id, 'award.renewed names the award that was renewed');
  const renewal = received.find((e) => e.type === 'award.created' && e.data.awardId !== award.id)!;
  assert.equal(renewed.data.renewedByAwardId, renewal.data.awardId, 'and the award that renewed it');
  assert.equal(valueOf(worker.samples, 'recertify_webhook_deliveries_total', { outcome: 'failed' }), 0);
  assert.equal(valueOf(worker.samples, 'recertify_temporal_sdk_metrics_up'), 1);
  assert.ok(valueOf(worker.samples, 'process_cpu_seconds_total') !== undefined, "Node's process metrics");
  assert.ok(
    worker.samples.some((s) => s.name === 'temporal_workflow_task_execution_latency_seconds_count' && s.value > 0),
    'the SDK timed workflow tasks (in seconds)',
  );
  assert.ok(
    worker.samples.some((s) => s.name === 'temporal_local_activity_execution_latency_seconds_count' && s.labels.activity_type === 'sendMessage' && s.value >= 1),
    'the SDK timed the due step\'s sendMessage, a local activity (SEND_IN_DUE_STEP)',
  );
  assert.ok(!worker.samples.some((s) => s.name.startsWith('recertify_http_')), "the worker's endpoint does not carry the API's metrics");

  // The API: requests by route pattern and status, never an id.
  const { text, samples } = await scrape(apiMetrics);
  const requests = (method: string, route: string, status: string): number | undefined => valueOf(samples, 'recertify_http_requests_total', { method, route, status });
  assert.equal(requests('POST', '/api/certificates/:id/awards', '201'), 1, 'the award, by its route pattern');
  assert.equal(requests('POST', '/api/attempts/:id/complete', '200'), 1);
  assert.ok((requests('GET', '/api/messages', '200') ?? 0) >= 1);
  assert.equal(requests('GET', '/api/awards/:id', '404'), 1, 'the unknown award: its route, status 404');
  assert.equal(requests('GET', '(unmatched)', '404'), 1, 'a path no route matches is one series, whatever the path');
  assert.ok((valueOf(samples, 'recertify_http_request_duration_seconds_count', { method: 'POST', route: '/api/certificates/:id/awards', status: '201' }) ?? 0) >= 1);
  assert.ok((valueOf(samples, 'recertify_http_request_duration_seconds_bucket', { route: '/api/certificates/:id/awards', le: '+Inf' }) ?? 0) >= 1);
  for (const id of [learner.id, course.id, certificate.id, award.id, attempt.id, unknownId]) assert.ok(!text.includes(id), `no id in the API's metrics (${id})`);
  const routes = new Set(samples.filter((s) => s.name === 'recertify_http_requests_total').map((s) => s.labels.route));
  for (const route of routes) assert.doesNotMatch(route ?? '', /[0-9a-f]{8}-[0-9a-f]{4}-/, `a route pattern, not a path: ${route}`);
  assert.ok(!samples.some((s) => s.name.startsWith('recertify_messages_')), "the API's endpoint does not carry the worker's metrics");
});

test('the metrics are on their own ports: not on the API port, and only GET /metrics there', async () => {
  const onApi = await api.request('GET', '/metrics');
  assert.equal(onApi.status, 404, 'the public API port does not serve /metrics');
  assert.equal((await fetch(apiMetrics.replace('/metrics', '/other'))).status, 404);
  assert.equal((await fetch(workerMetrics, { method: 'POST' })).status, 405);
  assert.equal((await fetch(workerMetrics, { method: 'HEAD' })).status, 200);
});

test("the worker's endpoint still answers when the SDK's exporter does not, and says so", async () => {
  const server = await startWorkerMetricsServer({
    port: 0,
    host: '127.0.0.1',
    sdk: { telemetry: { prometheus: { bindAddress: '127.0.0.1:1' } }, bindAddress: '127.0.0.1:1', scrape: async () => null },
  });
  try {
    const { samples } = await scrape(server.url);
    assert.equal(valueOf(samples, 'recertify_temporal_sdk_metrics_up'), 0);
    assert.ok(valueOf(samples, 'recertify_messages_total', { kind: 'certificate_expiring', outcome: 'sent' }) !== undefined, 'ours are there');
    assert.ok(!samples.some((s) => s.name.startsWith('temporal_')));
  } finally {
    await server.close();
  }
});
