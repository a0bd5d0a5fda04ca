/**
 * Replays every recorded workflow history in test/histories against the current workflow code.
 * A change that would break a workflow already running in production (a non-determinism error) fails
 * here; guard such changes with `patched()`. Record new histories with
 * `RECORD_HISTORIES=<change-id> npx tsx scripts/test.ts recertification-workflow`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import proto from '@temporalio/proto';
const { temporal } = proto;
import { WORKFLOWS_PATH } from '../worker/workers.ts';
import { ACT_ON_DATABASE_TRUTH, DUE_STEP_LOCAL_ACTIVITIES, LMS_POLICIES } from '../workflows/recertification.ts';
import { ASSIGNED_DUE_TIME_FIXED, ENROLL_WHEN_DUE, REPEATING_REMINDERS, SEND_IN_DUE_STEP, SEND_WINDOWS } from '../workflows/recertification/patches.ts';
import { quietTemporalRuntime } from './support/temporal.ts';

interface RecordedEvent {
  markerRecordedEventAttributes?: { markerName: string; details: Record<string, { payloads: { data: string }[] }> };
}

const DIR = new URL('./histories/', import.meta.url).pathname;

test('recorded histories replay against the current workflow code', async () => {
  quietTemporalRuntime();
  const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
  assert.ok(files.length >= 4, `expected recorded histories in ${DIR}, found ${files.length}`);
  const histories = files.map((f) => {
    const { workflowId, history } = JSON.parse(readFileSync(join(DIR, f), 'utf8')) as { workflowId: string; history: unknown };
    return { workflowId, history: temporal.api.history.v1.History.fromObject(history as Record<string, unknown>) };
  });
  // Both sides of the patch are covered: histories recorded before it and after it. A patch leaves a
  // `core_patch` marker whose payload carries its id.
  const patchesOf = (f: string): string[] => {
    const { history } = JSON.parse(readFileSync(join(DIR, f), 'utf8')) as { history: { events: RecordedEvent[] } };
    return history.events
      .map((e) => e.markerRecordedEventAttributes)
      .filter((m) => m?.markerName === 'core_patch')
      .map((m) => (JSON.parse(Buffer.from(m!.details['patch-data']!.payloads[0]!.data, 'base64').toString('utf8')) as { id: string }).id);
  };
  // Each patch: histories recorded before it and with it.
  for (const patch of [DUE_STEP_LOCAL_ACTIVITIES, ACT_ON_DATABASE_TRUTH]) {
    const withPatch = files.filter((f) => patchesOf(f).includes(patch)).length;
    assert.ok(withPatch >= 3, `histories recorded with patch ${patch}: ${withPatch}`);
    assert.ok(files.length - withPatch >= 3, `histories recorded before ${patch}: ${files.length - withPatch}`);
  }
  // LMS_POLICIES (issue 14): the grace period's two ends, recorded with it (policies-*.json); every other history before it.
  const withPolicies = files.filter((f) => patchesOf(f).includes(LMS_POLICIES));
  // (assigned-due-grace-lead-days-changed.json, recorded after it, carries it too.)
  assert.deepEqual(withPolicies, ['assigned-due-grace-lead-days-changed.json', 'policies-grace-then-expired.json', 'policies-grace-then-renewed.json']);
  // Issue 13's send windows: histories recorded with SEND_WINDOWS (test/histories/send-window-*.json).
  assert.ok(files.filter((f) => patchesOf(f).includes(SEND_WINDOWS)).length >= 1, `histories recorded with patch ${SEND_WINDOWS}`);
  // Issue 14 §3's repeating reminders: the new path recorded with REPEATING_REMINDERS (capped, renewed,
  // turned on while enrolled), and a certificate without repeats, whose history has no marker (the old path).
  const withRepeats = files.filter((f) => patchesOf(f).includes(REPEATING_REMINDERS));
  assert.deepEqual(withRepeats, ['repeating-reminders-capped.json', 'repeating-reminders-renewed.json', 'repeating-reminders-turned-on.json']);
  assert.ok(files.includes('repeating-reminders-off.json'), 'the path without repeats is recorded too');
  // Issue 11's due step that sends its messages as local activities: recorded with SEND_IN_DUE_STEP
  // (*.send-in-due-step.json, from recertification-workflow); every history recorded before it sent
  // them as activities on the email task queue.
  // (Histories recorded after it, assigned-due-*.json below and *.enroll-when-due.json, carry it too.)
  const withLocalSend = files.filter((f) => patchesOf(f).includes(SEND_IN_DUE_STEP));
  // (renewed-found-at-due.enroll-when-due.json ends before anything is sent.)
  const sendsInDueStep = (f: string): boolean => f.endsWith('.enroll-when-due.json') && f !== 'renewed-found-at-due.enroll-when-due.json';
  assert.deepEqual(withLocalSend, files.filter((f) => f.endsWith('.send-in-due-step.json') || sendsInDueStep(f) || f.startsWith('assigned-due-')));
  assert.ok(withLocalSend.length >= 4, `histories recorded with patch ${SEND_IN_DUE_STEP}: ${withLocalSend.length}`);
  // Issue 11's due step that reads and enrolls in one local activity (ENROLL_WHEN_DUE): recorded with it
  // (*.enroll-when-due.json, from recertification-workflow): enrolled at its due time, after waiting for
  // settings, after a course change, with the send handed over, after both local activities were
  // retried, then reminded and expired, and enrolled before an expiry extended in the database; and
  // ended at its due time by a renewal found in the database; every history recorded before it read
  // the context and created the attempt in two local activities (or two regular ones).
  const withOneStep = files.filter((f) => patchesOf(f).includes(ENROLL_WHEN_DUE));
  assert.deepEqual(withOneStep, files.filter((f) => f.endsWith('.enroll-when-due.json')));
  assert.ok(withOneStep.length >= 8, `histories recorded with patch ${ENROLL_WHEN_DUE}: ${withOneStep.length}`);
  // An enrolled award's due time kept (ASSIGNED_DUE_TIME_FIXED): recorded with it after a change of the
  // lead days (then reminded and expired, or in grace and expired), and of the expiry (signalled, and
  // found in the database), once enrolled (assigned-due-*.json); every history before it moves the due
  // time with them, and a run whose expiry and lead days never move after the enrollment records no
  // marker. The same lead-days change recorded by the code before the patch (its due time moved: one
  // search-attribute upsert more) replays through the old path; without the patch's guard it fails to replay.
  const withDueKept = files.filter((f) => patchesOf(f).includes(ASSIGNED_DUE_TIME_FIXED));
  assert.deepEqual(withDueKept, [
    'assigned-due-expiry-extended-without-signal.json',
    'assigned-due-expiry-extended.json',
    'assigned-due-grace-lead-days-changed.json',
    'assigned-due-lead-days-changed.json',
    // recorded after it too: an expiry extended in the database once enrolled (the due time kept)
    'expiry-extended-without-signal.enroll-when-due.json',
  ]);
  assert.ok(files.includes('assigned-due-lead-days-changed-before-patch.json'), 'the old path of a lead-days change after the enrollment is recorded too');
  const results = Worker.runReplayHistories({ workflowsPath: WORKFLOWS_PATH, replayName: 'recorded' }, histories);
  let replayed = 0;
  for await (const r of results) {
    assert.equal(r.error, undefined, `${r.workflowId} failed to replay: ${String(r.error)}`);
    replayed++;
  }
  assert.equal(replayed, files.length);
});
