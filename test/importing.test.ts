/**
 * The import's plan of rows (domain/importing.ts), pure: the order of the reasons, duplicates by
 * email case-insensitively (the first row wins), the awarding routine's terms (a given expiry kept,
 * none while expiration is off), the future tolerance, learners to create, and the content hash.
 */
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FUTURE_TOLERANCE_MS } from '../domain/awarding.ts';
import { DAY_MS } from '../domain/dates.ts';
import { importContentHash, importTotals, planImportRows, type ImportFacts, type ImportRowInput } from '../domain/importing.ts';
import { defaultSettings } from '../domain/settings.ts';

const NOW = Date.UTC(2026, 5, 1, 12);
const expiring = (): ImportFacts['settings'] => {
  const s = defaultSettings();
  return { ...s, expiration: { ...s.expiration, enabled: true, validFor: { amount: 12, unit: 'months' } }, recertification: { ...s.recertification, leadDays: 30 } };
};
const facts = (over: Partial<ImportFacts> = {}): ImportFacts => ({
  settings: expiring(),
  createLearners: true,
  learnerIdsByEmail: new Map([['ada@example.com', 'L-ada']]),
  managersByLearner: new Map([['L-ada', 'Grace@Example.com']]),
  activeHolders: new Set(),
  inactiveLearners: new Map(),
  awardInstants: new Map(),
  now: NOW,
  ...over,
});
let n = 0;
const row = (over: Partial<ImportRowInput> = {}): ImportRowInput => ({
  rowNumber: ++n,
  tooLong: false,
  email: 'ada@example.com',
  name: 'Ada',
  awardedAtText: 'x',
  expiresAtText: null,
  emailValid: true,
  nameValid: true,
  awardedAt: new Date(NOW - 100 * DAY_MS),
  expiresAt: undefined,
  managerEmail: null,
  managerEmailValid: true,
  ...over,
});

test('a row is planned with the awarding routine\'s terms: 12 months from awardedAt, due 30 days before', () => {
  const [p] = planImportRows([row({ awardedAt: new Date(Date.UTC(2026, 0, 31)) })], facts());
  assert.equal(p!.outcome, 'schedule');
  assert.equal(p!.learnerId, 'L-ada');
  assert.equal(p!.createLearner, false);
  assert.equal(p!.expiresAt!.toISOString(), '2027-01-31T00:00:00.000Z');
  assert.equal(p!.dueAt!.toISOString(), '2027-01-01T00:00:00.000Z');
});

test('a given expiry is kept; without expiration and without one, no_expiry', () => {
  const given = new Date(NOW + 10 * DAY_MS);
  const [kept] = planImportRows([row({ expiresAt: given })], facts());
  assert.equal(kept!.outcome, 'enroll_now', 'ten days ahead is inside the 30-day lead');
  assert.equal(kept!.expiresAt!.getTime(), given.getTime());
  const [none] = planImportRows([row()], facts({ settings: defaultSettings() }));
  assert.equal(none!.outcome, 'no_expiry');
  assert.equal(none!.dueAt, null);
});

test('reasons, first that holds: email, date, future, expiry order, duplicate (case-insensitive, first row wins), learner, holder', () => {
  const plans = planImportRows(
    [
      row({ emailValid: false, awardedAt: null }),
      row({ email: 'b@example.com', awardedAt: null }),
      row({ email: 'c@example.com', expiresAt: null }),
      row({ email: 'd@example.com', awardedAt: new Date(NOW + FUTURE_TOLERANCE_MS + 1) }),
      row({ email: 'e@example.com', awardedAt: new Date(NOW + FUTURE_TOLERANCE_MS) }),
      row({ email: 'f@example.com', expiresAt: new Date(NOW - 100 * DAY_MS) }),
      row({ email: 'ADA@example.com' }),
      row({ email: 'ada@EXAMPLE.com' }),
      row({ email: 'g@example.com', nameValid: false }),
    ],
    facts(),
  );
  assert.deepEqual(plans.map((p) => p.reason), [
    'bad_email',
    'unparsable_date',
    'unparsable_date',
    'awarded_at_in_future',
    null,
    'expires_before_awarded',
    null,
    'duplicate_row',
    'bad_name',
  ]);
  assert.equal(plans[4]!.createLearner, true, 'within the tolerance, and created');
  const strict = planImportRows([row({ email: 'new@example.com' })], facts({ createLearners: false }));
  assert.equal(strict[0]!.reason, 'unknown_learner');
  const held = planImportRows([row()], facts({ activeHolders: new Set(['L-ada']) }));
  assert.equal(held[0]!.reason, 'already_awarded');
  assert.equal(held[0]!.learnerId, 'L-ada');
  const left = planImportRows([row()], facts({ inactiveLearners: new Map([['L-ada', 'learner_deactivated']]), activeHolders: new Set(['L-ada']) }));
  assert.equal(left[0]!.reason, 'learner_deactivated', 'a deactivated learner is refused before anything else about them');
  const totals = importTotals(plans);
  assert.equal(totals.byOutcome.reject, 7);
  assert.equal(totals.byReason.unparsable_date, 2);
});

test('the content hash: the same rows and flag hash alike; another flag, order or text does not', () => {
  const a = [row({ rowNumber: 1, awardedAtText: '2026-01-01' }), row({ rowNumber: 2, email: 'b@example.com', awardedAtText: '2026-01-02' })];
  assert.equal(importContentHash(a, true), importContentHash(a.map((r) => ({ ...r })), true));
  assert.notEqual(importContentHash(a, true), importContentHash(a, false));
  assert.notEqual(importContentHash(a, true), importContentHash([...a].reverse(), true));
  assert.notEqual(importContentHash(a, true), importContentHash([a[0]!, { ...a[1]!, name: 'Other' }], true));
});

test('an erased learner\'s row is learner_erased, a deactivated one\'s learner_deactivated', () => {
  const erased = planImportRows([row()], facts({ inactiveLearners: new Map([['L-ada', 'learner_erased']]) }));
  assert.equal(erased[0]!.reason, 'learner_erased');
});

test('a record given at an instant already recorded for the learner is already_recorded (an expired one too), another instant is not', () => {
  const awardedAt = new Date(NOW - 800 * DAY_MS);
  const recorded = facts({ awardInstants: new Map([['L-ada', new Set([awardedAt.getTime()])]]) });
  const again = planImportRows([row({ awardedAt })], recorded);
  assert.deepEqual([again[0]!.outcome, again[0]!.reason], ['reject', 'already_recorded'], 'an expired record is not recorded twice');
  const other = planImportRows([row({ awardedAt: new Date(awardedAt.getTime() + DAY_MS) })], recorded);
  assert.equal(other[0]!.outcome, 'record_expired', 'another instant is another record');
});

test('an overlong cell is cell_too_long, the first reason, and the row is no duplicate of the next', () => {
  const long = planImportRows([row({ tooLong: true, emailValid: false }), row()], facts());
  assert.deepEqual(long.map((p) => p.reason), ['cell_too_long', null]);
});

test('a managerEmail: a bad one rejects the row (after a bad email, before a date); a new one sets the manager, the saved one (any case) or none does not; set also when the award is already there', () => {
  const bad = planImportRows(
    [
      row({ email: 'x@example.com', managerEmail: 'nope', managerEmailValid: false }),
      row({ email: 'y', emailValid: false, managerEmail: 'nope', managerEmailValid: false }),
      row({ email: 'z@example.com', managerEmail: 'nope', managerEmailValid: false, awardedAt: null }),
    ],
    facts(),
  );
  assert.deepEqual(bad.map((p) => [p.reason, p.setsManager]), [['bad_manager_email', false], ['bad_email', false], ['bad_manager_email', false]]);
  const plans = planImportRows(
    [
      row({ managerEmail: 'grace@example.com' }),
      row({ email: 'new@example.com', managerEmail: 'boss@example.com' }),
      row({ email: 'none@example.com' }),
    ],
    facts(),
  );
  assert.deepEqual(plans.map((p) => p.setsManager), [false, true, false], 'the saved manager in another case is the same; a new learner gets theirs');
  const changed = planImportRows([row({ managerEmail: 'boss@example.com' })], facts({ activeHolders: new Set(['L-ada']) }));
  assert.deepEqual([changed[0]!.reason, changed[0]!.setsManager], ['already_awarded', true]);
  const gone = planImportRows([row({ managerEmail: 'boss@example.com' })], facts({ inactiveLearners: new Map([['L-ada', 'learner_deactivated']]) }));
  assert.equal(gone[0]!.setsManager, false, 'nothing is set for a deactivated learner');
  assert.equal(importTotals([...plans, ...changed]).setsManager, 2);
});

test('the content hash counts a managerEmail only when given: without one it is the hash of before the column; another manager is another import', () => {
  const a = [row({ rowNumber: 1, awardedAtText: '2026-01-01' })];
  const legacy = createHash('sha256').update('create\n').update(`${JSON.stringify(['ada@example.com', 'Ada', '2026-01-01', null])}\n`).digest('hex');
  assert.equal(importContentHash(a, true), legacy);
  const withManager = importContentHash([{ ...a[0]!, managerEmail: 'boss@example.com' }], true);
  assert.notEqual(withManager, legacy);
  assert.notEqual(withManager, importContentHash([{ ...a[0]!, managerEmail: 'other@example.com' }], true));
});

test('a CSV row with the wrong field count is wrong_field_count, the first reason, and the row is no duplicate of the next', () => {
  const plans = planImportRows([row({ wrongFieldCount: true, tooLong: true, emailValid: false, awardedAt: null }), row({ wrongFieldCount: true }), row()], facts());
  assert.deepEqual(plans.map((p) => [p.outcome, p.reason]), [['reject', 'wrong_field_count'], ['reject', 'wrong_field_count'], ['schedule', null]]);
  assert.equal(importTotals(plans).byReason.wrong_field_count, 2);
});

test('the content hash counts a wrong field count: the same texts with it are another import, without it the hash of before', () => {
  const a = [row({ rowNumber: 1, awardedAtText: '' })];
  const legacy = createHash('sha256').update('create\n').update(`${JSON.stringify(['ada@example.com', 'Ada', '', null])}\n`).digest('hex');
  assert.equal(importContentHash(a, true), legacy);
  assert.equal(importContentHash([{ ...a[0]!, wrongFieldCount: false }], true), legacy);
  assert.notEqual(importContentHash([{ ...a[0]!, wrongFieldCount: true }], true), legacy);
});
