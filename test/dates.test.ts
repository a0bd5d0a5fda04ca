/**
 * domain/dates.ts as tables: calendar arithmetic (month ends, leap days both ways, years, weeks, days,
 * negative amounts), a renewal chain that keeps its anniversary (issue 18 §2), the renewal-after-lapse
 * branch, legacy awards without an anchor day, and the shortest length of a validity (issue 18 §3).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addDuration, anchorDayAt, expiryFor, shortestValidityDays, type PreviousAward, type ValidFor } from '../domain/dates.ts';

const d = (iso: string): Date => new Date(iso);
const month: ValidFor = { amount: 1, unit: 'months' };

test('addDuration: month ends clamp, leap days both ways, years, weeks, days, negative amounts', () => {
  const cases: [from: string, validFor: ValidFor, anchorDay: number | null, expected: string][] = [
    ['2025-01-31T09:00:00.000Z', month, null, '2025-02-28T09:00:00.000Z'],
    ['2024-01-31T09:00:00.000Z', month, null, '2024-02-29T09:00:00.000Z'],
    ['2025-03-31T09:00:00.000Z', month, null, '2025-04-30T09:00:00.000Z'],
    ['2025-01-15T09:30:15.250Z', month, null, '2025-02-15T09:30:15.250Z'],
    ['2025-12-31T23:59:59.999Z', month, null, '2026-01-31T23:59:59.999Z'],
    ['2025-11-30T00:00:00.000Z', { amount: 3, unit: 'months' }, null, '2026-02-28T00:00:00.000Z'],
    // a chain's anchor day: clamp from it, not from the clamped day
    ['2025-02-28T09:00:00.000Z', month, 31, '2025-03-31T09:00:00.000Z'],
    ['2025-04-30T09:00:00.000Z', month, 31, '2025-05-31T09:00:00.000Z'],
    ['2025-02-28T09:00:00.000Z', month, 30, '2025-03-30T09:00:00.000Z'],
    ['2025-02-28T09:00:00.000Z', month, 28, '2025-03-28T09:00:00.000Z'],
    // an anchor day that is not this date's (e.g. an admin moved the expiry): the date's own day
    ['2025-02-15T09:00:00.000Z', month, 31, '2025-03-15T09:00:00.000Z'],
    ['2025-03-30T09:00:00.000Z', month, 31, '2025-04-30T09:00:00.000Z'],
    // leap day forwards and backwards, in years and months
    ['2024-02-29T00:00:00.000Z', { amount: 1, unit: 'years' }, null, '2025-02-28T00:00:00.000Z'],
    ['2025-02-28T00:00:00.000Z', { amount: 1, unit: 'years' }, 29, '2026-02-28T00:00:00.000Z'],
    ['2027-02-28T00:00:00.000Z', { amount: 1, unit: 'years' }, 29, '2028-02-29T00:00:00.000Z'],
    ['2023-02-28T00:00:00.000Z', { amount: 1, unit: 'years' }, null, '2024-02-28T00:00:00.000Z'],
    ['2024-02-29T00:00:00.000Z', { amount: 4, unit: 'years' }, null, '2028-02-29T00:00:00.000Z'],
    ['2096-02-29T00:00:00.000Z', { amount: 4, unit: 'years' }, null, '2100-02-28T00:00:00.000Z'],
    ['2024-02-29T00:00:00.000Z', { amount: 12, unit: 'months' }, null, '2025-02-28T00:00:00.000Z'],
    ['2025-03-29T00:00:00.000Z', { amount: -1, unit: 'months' }, null, '2025-02-28T00:00:00.000Z'],
    ['2025-02-28T00:00:00.000Z', { amount: -1, unit: 'years' }, null, '2024-02-28T00:00:00.000Z'],
    ['2025-02-28T00:00:00.000Z', { amount: -12, unit: 'months' }, 29, '2024-02-29T00:00:00.000Z'],
    ['2026-05-31T09:00:00.000Z', { amount: -12, unit: 'months' }, null, '2025-05-31T09:00:00.000Z'],
    // days and weeks are exact multiples of 24 h; an anchor day does not apply to them
    ['2025-01-31T09:00:00.000Z', { amount: 30, unit: 'days' }, null, '2025-03-02T09:00:00.000Z'],
    ['2024-02-28T09:00:00.000Z', { amount: 2, unit: 'days' }, 31, '2024-03-01T09:00:00.000Z'],
    ['2025-02-28T09:00:00.000Z', { amount: 4, unit: 'weeks' }, 31, '2025-03-28T09:00:00.000Z'],
    ['2025-12-29T09:00:00.000Z', { amount: 1, unit: 'weeks' }, null, '2026-01-05T09:00:00.000Z'],
    ['2025-03-02T09:00:00.000Z', { amount: -30, unit: 'days' }, null, '2025-01-31T09:00:00.000Z'],
  ];
  const wrong: string[] = [];
  for (const [from, validFor, anchorDay, expected] of cases) {
    const got = addDuration(d(from), validFor, anchorDay).toISOString();
    if (got !== expected) wrong.push(`${from} + ${validFor.amount} ${validFor.unit} (anchor ${anchorDay}) = ${got}, expected ${expected}`);
  }
  assert.deepEqual(wrong, []);
});

test('anchorDayAt: the anchor day where the date is it or its clamp, else the date\'s own day', () => {
  assert.equal(anchorDayAt(d('2025-02-28T09:00:00Z'), 31), 31);
  assert.equal(anchorDayAt(d('2024-02-29T09:00:00Z'), 31), 31);
  assert.equal(anchorDayAt(d('2024-02-28T09:00:00Z'), 31), 28, '28 Feb of a leap year is not the 31st clamped');
  assert.equal(anchorDayAt(d('2025-04-30T09:00:00Z'), 31), 31);
  assert.equal(anchorDayAt(d('2025-03-30T09:00:00Z'), 31), 30);
  assert.equal(anchorDayAt(d('2025-03-15T09:00:00Z'), 15), 15);
  assert.equal(anchorDayAt(d('2025-03-15T09:00:00Z'), 31), 15);
  assert.equal(anchorDayAt(d('2025-03-15T09:00:00Z'), null), 15);
});

test('a monthly chain renewed a few days early keeps its anniversary (31 Jan → 28 Feb, 31 Mar, 30 Apr, 31 May)', () => {
  const first = expiryFor({ awardedAt: d('2024-12-31T09:00:00Z'), validFor: month, anchor: 'previous_expiry', previous: null });
  assert.deepEqual(first, { expiresAt: d('2025-01-31T09:00:00Z'), anchorDay: 31 });
  let previous: PreviousAward = { awardedAt: d('2024-12-31T09:00:00Z'), ...first };
  const got: string[] = [];
  for (const completedAt of ['2025-01-28T10:00:00Z', '2025-02-25T10:00:00Z', '2025-03-28T10:00:00Z', '2025-04-27T10:00:00Z']) {
    const next = expiryFor({ awardedAt: d(completedAt), validFor: month, anchor: 'previous_expiry', previous });
    assert.equal(next.anchorDay, 31, `the chain's anchor day is inherited at ${completedAt}`);
    got.push(next.expiresAt.toISOString());
    previous = { awardedAt: d(completedAt), ...next };
  }
  assert.deepEqual(got, ['2025-02-28T09:00:00.000Z', '2025-03-31T09:00:00.000Z', '2025-04-30T09:00:00.000Z', '2025-05-31T09:00:00.000Z']);
});

test('expiryFor: which branch, which expiry, which anchor day', () => {
  type Case = { name: string; args: Parameters<typeof expiryFor>[0]; expiresAt: string; anchorDay: number };
  const prev = (awardedAt: string, expiresAt: string | null, anchorDay: number | null): PreviousAward => ({
    awardedAt: d(awardedAt),
    expiresAt: expiresAt === null ? null : d(expiresAt),
    anchorDay,
  });
  const cases: Case[] = [
    {
      name: 'completion anchor: from the completion, a new chain',
      args: { awardedAt: d('2025-01-31T12:00:00Z'), validFor: month, anchor: 'completion', previous: prev('2024-12-31T09:00:00Z', '2025-02-28T09:00:00Z', 31) },
      expiresAt: '2025-02-28T12:00:00.000Z',
      anchorDay: 31,
    },
    {
      name: 'previous_expiry, renewed before expiry: previous expiry + validFor, anchor inherited',
      args: { awardedAt: d('2025-02-20T12:00:00Z'), validFor: month, anchor: 'previous_expiry', previous: prev('2025-01-25T09:00:00Z', '2025-02-28T09:00:00Z', 31) },
      expiresAt: '2025-03-31T09:00:00.000Z',
      anchorDay: 31,
    },
    {
      name: 'previous_expiry after the previous award lapsed: a new chain from the completion',
      args: { awardedAt: d('2025-03-03T12:00:00Z'), validFor: month, anchor: 'previous_expiry', previous: prev('2025-01-25T09:00:00Z', '2025-02-28T09:00:00Z', 31) },
      expiresAt: '2025-04-03T12:00:00.000Z',
      anchorDay: 3,
    },
    {
      name: 'previous_expiry at the very instant of expiry: lapsed, a new chain',
      args: { awardedAt: d('2025-02-28T09:00:00Z'), validFor: month, anchor: 'previous_expiry', previous: prev('2025-01-25T09:00:00Z', '2025-02-28T09:00:00Z', 31) },
      expiresAt: '2025-03-28T09:00:00.000Z',
      anchorDay: 28,
    },
    {
      name: 'previous_expiry, previous award without expiry: a new chain',
      args: { awardedAt: d('2025-01-31T12:00:00Z'), validFor: month, anchor: 'previous_expiry', previous: prev('2024-01-01T09:00:00Z', null, null) },
      expiresAt: '2025-02-28T12:00:00.000Z',
      anchorDay: 31,
    },
    {
      name: 'no previous award (a manual award): from awardedAt',
      args: { awardedAt: d('2024-02-29T08:00:00Z'), validFor: { amount: 1, unit: 'years' }, anchor: 'previous_expiry' },
      expiresAt: '2025-02-28T08:00:00.000Z',
      anchorDay: 29,
    },
    {
      name: 'a leap-day chain comes back to 29 Feb in the next leap year',
      args: { awardedAt: d('2027-02-01T08:00:00Z'), validFor: { amount: 1, unit: 'years' }, anchor: 'previous_expiry', previous: prev('2026-02-01T08:00:00Z', '2027-02-28T08:00:00Z', 29) },
      expiresAt: '2028-02-29T08:00:00.000Z',
      anchorDay: 29,
    },
    {
      name: 'an expiry an admin moved off the anchor (15 Mar): counts from its own day',
      args: { awardedAt: d('2025-03-10T12:00:00Z'), validFor: month, anchor: 'previous_expiry', previous: prev('2025-01-31T09:00:00Z', '2025-03-15T09:00:00Z', 31) },
      expiresAt: '2025-04-15T09:00:00.000Z',
      anchorDay: 15,
    },
    {
      name: 'weeks: the anchor day follows the previous expiry\'s own day',
      args: { awardedAt: d('2025-02-25T12:00:00Z'), validFor: { amount: 4, unit: 'weeks' }, anchor: 'previous_expiry', previous: prev('2025-01-31T09:00:00Z', '2025-02-28T09:00:00Z', 31) },
      expiresAt: '2025-03-28T09:00:00.000Z',
      anchorDay: 31,
    },
    {
      name: 'legacy previous award (no anchor day) whose expiry counted from its awardedAt: its awarded day',
      args: { awardedAt: d('2025-02-25T12:00:00Z'), validFor: month, anchor: 'previous_expiry', previous: prev('2025-01-31T09:00:00Z', '2025-02-28T09:00:00Z', null) },
      expiresAt: '2025-03-31T09:00:00.000Z',
      anchorDay: 31,
    },
    {
      name: 'legacy previous award that was itself an early renewal: the previous expiry\'s day, not its awarded day',
      args: { awardedAt: d('2025-04-26T12:00:00Z'), validFor: month, anchor: 'previous_expiry', previous: prev('2025-03-25T10:00:00Z', '2025-04-28T09:00:00Z', null) },
      expiresAt: '2025-05-28T09:00:00.000Z',
      anchorDay: 28,
    },
  ];
  const wrong: string[] = [];
  for (const c of cases) {
    const got = expiryFor(c.args);
    if (got.expiresAt.toISOString() !== c.expiresAt || got.anchorDay !== c.anchorDay) {
      wrong.push(`${c.name}: ${got.expiresAt.toISOString()} day ${got.anchorDay}, expected ${c.expiresAt} day ${c.anchorDay}`);
    }
  }
  assert.deepEqual(wrong, []);
});

test('shortestValidityDays: the fewest days a validity can last, with month ends and non-leap centuries', () => {
  const cases: [ValidFor, number][] = [
    [{ amount: 14, unit: 'days' }, 14],
    [{ amount: 4, unit: 'weeks' }, 28],
    [{ amount: 1, unit: 'months' }, 28],
    [{ amount: 2, unit: 'months' }, 59],
    [{ amount: 12, unit: 'months' }, 365],
    [{ amount: 1, unit: 'years' }, 365],
    [{ amount: 4, unit: 'years' }, 1460],
    [{ amount: 48, unit: 'months' }, 1460],
    [{ amount: 8, unit: 'years' }, 2921],
  ];
  for (const [validFor, days] of cases) assert.equal(shortestValidityDays(validFor), days, `${validFor.amount} ${validFor.unit}`);
  const started = performance.now();
  shortestValidityDays({ amount: 600, unit: 'months' });
  assert.ok(performance.now() - started < 500, 'cheap enough to run in a request');
});
