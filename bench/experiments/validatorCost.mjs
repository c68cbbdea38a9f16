// Validator cost: our hand-written readers (src/domain/validate*.ts) against zod 4, zod/mini
// and valibot on the same three inputs (an occurrence, a task, a calendar), in µs per call,
// plus the message each gives for one wrong field. Plain JavaScript on purpose: the
// candidates are installed only for the measurement (`npm install --no-save zod valibot`),
// so the type-checked tree must not depend on them.
//
// Run: npm install --no-save zod@4 valibot@1 && npx tsx bench/experiments/validatorCost.mjs
import { Cron } from 'croner';
import { parseCalendar } from '../../src/domain/validateCalendar.js';
import { parseOccurrence } from '../../src/domain/validateOccurrence.js';
import { parseTask } from '../../src/domain/validateTask.js';
import { canonicalTimeZone } from '../../src/domain/validateTimeZone.js';

let z;
let zm;
let v;
try {
  z = await import('zod');
  zm = await import('zod/mini');
  v = await import('valibot');
} catch {
  console.error(
    'validatorCost: zod and valibot are not installed; run `npm install --no-save zod@4 valibot@1` first',
  );
  process.exit(2);
}

// ── inputs ───────────────────────────────────────────────────────────────────────────────
const occurrence = {
  id: 'o_0123456789abcdef0123',
  taskId: 'standup',
  scheduledFor: '2026-03-30T07:30:00.000Z',
  attempt: 0,
  cause: 'recurrence',
};
const task = {
  id: 'standup',
  title: 'Stand-up',
  recurrence: { cron: '30 9 * * 1-5' },
  retry: { maxRetries: 3, backoff: 'exponential' },
  priority: 'high',
  preferredSlots: ['morning'],
  payload: { channel: '#team', mentions: ['a', 'b'] },
};
const calendar = {
  timeZone: 'Europe/Berlin',
  workingHours: {
    mon: { start: '09:00', end: '17:00' },
    tue: { start: '09:00', end: '17:00' },
    wed: { start: '09:00', end: '17:00', slots: ['morning'] },
  },
  slots: [
    { id: 'morning', start: '09:30' },
    { id: 'noon', start: '12:00', label: 'Lunch' },
  ],
  maxPerDay: 4,
  holidays: ['2026-12-25'],
};
const now = new Date('2026-03-29T00:00:00Z');

// ── the shared rules, so every candidate checks the same things ─────────────────────────
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
const ID = /^(?=\S)(?!.*\s$)[^\u0000-\u001f\u007f-\u009f]{1,200}$/s;
const ISO =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|([+-])(\d{2}):?(\d{2}))$/i;
const instantMs = (x) => {
  if (x instanceof Date) return x.getTime();
  if (typeof x === 'number') return Number.isInteger(x) ? x : Number.NaN;
  if (typeof x === 'string' && ISO.test(x)) return Date.parse(x);
  return Number.NaN;
};
const isInstant = (x) => Number.isFinite(instantMs(x));
const toIso = (x) => new Date(instantMs(x)).toISOString();
const WALL = /^([01]\d|2[0-3]):[0-5]\d$/;
const WALL_END = /^(([01]\d|2[0-3]):[0-5]\d|24:00)$/;
const cronOk = (c) => {
  try {
    return new Cron(c, { mode: '5-or-6-parts', timezone: 'UTC' }).nextRun(new Date(0)) !== null;
  } catch {
    return false;
  }
};
const zoneOk = (zone) => canonicalTimeZone(zone) !== undefined;
const CAUSES = ['initial', 'retry', 'recurrence', 'recovery', 'manual'];
const WEEK = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const got = (x) => JSON.stringify(x) ?? String(x);
// Each candidate builds our message from the issue: field, what it must be (the fix), value.
const msg = (subject, expected) => (issue) =>
  `${subject}: ${(issue.path ?? []).map((p) => (typeof p === 'object' ? p.key : p)).join('.')} must be ${expected}, got ${got(issue.input)}`;

// ── zod 4 ────────────────────────────────────────────────────────────────────────────────
const zId = (s) =>
  z.string({ error: msg(s, 'a non-blank id') }).regex(ID, { error: msg(s, 'a non-blank id') });
const zInstant = (s) =>
  z
    .union([z.string(), z.number(), z.date()])
    .refine(isInstant, { error: msg(s, 'an ISO-8601 instant with Z or an offset') })
    .transform(toIso);
const zOccurrence = z.strictObject({
  id: zId('Occurrence'),
  taskId: zId('Occurrence'),
  scheduledFor: zInstant('Occurrence'),
  attempt: z.number().int().min(0).default(0),
  cause: z.enum(CAUSES, { error: msg('Occurrence', `one of ${CAUSES.join(', ')}`) }),
  slotName: zId('Occurrence').optional(),
  pinnedTime: zInstant('Occurrence').optional(),
  parentId: zId('Occurrence').optional(),
});
const zTask = z.strictObject({
  id: zId('Task'),
  title: z.string().trim().min(1).max(500),
  description: z.string().max(10_000).optional(),
  link: z.string().trim().min(1).max(2000).optional(),
  createdAt: zInstant('Task').optional(),
  startAt: zInstant('Task').optional(),
  recurrence: z
    .union([
      z.strictObject({
        kind: z.literal('cron').optional(),
        cron: z.string().refine(cronOk),
        timeZone: z.string().refine(zoneOk).optional(),
      }),
      z.strictObject({
        kind: z.literal('interval').optional(),
        everyMs: z.number().int().min(1),
        anchor: zInstant('Task').optional(),
      }),
    ])
    .optional(),
  priority: z.enum(['low', 'medium', 'high']).default('medium'),
  preferredSlots: z.array(zId('Task')).default([]),
  retry: z
    .strictObject({
      maxRetries: z.number().int().min(0).max(1000).default(0),
      delayMs: z.number().int().min(0).default(3_600_000),
      backoff: z.enum(['fixed', 'exponential']).default('fixed'),
      maxDelayMs: z.number().int().min(0).optional(),
    })
    .optional(),
  pinnedTime: zInstant('Task').optional(),
  handler: zId('Task').optional(),
  timeoutMs: z.number().int().min(1).optional(),
  payload: z.record(z.string(), z.json()).optional(),
});
const zDay = z.strictObject({
  start: z.string().regex(WALL),
  end: z.string().regex(WALL_END),
  slots: z.array(zId('Calendar')).optional(),
});
const zCalendar = z.strictObject({
  timeZone: z.string().refine(zoneOk, { error: msg('Calendar', 'an IANA time zone') }),
  workingHours: z.partialRecord(z.enum(WEEK), zDay).optional(),
  slots: z
    .array(
      z.strictObject({
        id: zId('Calendar'),
        start: z.string().regex(WALL),
        label: z.string().max(200).optional(),
      }),
    )
    .default([]),
  maxPerDay: z.number().int().min(1).optional(),
  holidays: z.array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/)).optional(),
  exclusiveInstants: z.boolean().optional(),
});

// ── zod/mini ─────────────────────────────────────────────────────────────────────────────
const mId = (s) =>
  zm
    .string({ error: msg(s, 'a non-blank id') })
    .check(zm.regex(ID, { error: msg(s, 'a non-blank id') }));
const mInstant = (s) =>
  zm.pipe(
    zm
      .union([zm.string(), zm.number(), zm.date()])
      .check(zm.refine(isInstant, { error: msg(s, 'an ISO-8601 instant with Z or an offset') })),
    zm.transform(toIso),
  );
const mOccurrence = zm.strictObject({
  id: mId('Occurrence'),
  taskId: mId('Occurrence'),
  scheduledFor: mInstant('Occurrence'),
  attempt: zm._default(zm.number().check(zm.int(), zm.minimum(0)), 0),
  cause: zm.enum(CAUSES, { error: msg('Occurrence', `one of ${CAUSES.join(', ')}`) }),
  slotName: zm.optional(mId('Occurrence')),
  pinnedTime: zm.optional(mInstant('Occurrence')),
  parentId: zm.optional(mId('Occurrence')),
});

// ── valibot ──────────────────────────────────────────────────────────────────────────────
const vId = (s) =>
  v.pipe(v.string(msg(s, 'a non-blank id')), v.regex(ID, msg(s, 'a non-blank id')));
const vInstant = (s) =>
  v.pipe(
    v.union([v.string(), v.number(), v.date()]),
    v.check(isInstant, msg(s, 'an ISO-8601 instant with Z or an offset')),
    v.transform(toIso),
  );
const vOccurrence = v.strictObject({
  id: vId('Occurrence'),
  taskId: vId('Occurrence'),
  scheduledFor: vInstant('Occurrence'),
  attempt: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)), 0),
  cause: v.picklist(CAUSES, msg('Occurrence', `one of ${CAUSES.join(', ')}`)),
  slotName: v.optional(vId('Occurrence')),
  pinnedTime: v.optional(vInstant('Occurrence')),
  parentId: v.optional(vId('Occurrence')),
});
const vJson = v.lazy(() =>
  v.union([
    v.string(),
    v.number(),
    v.boolean(),
    v.null(),
    v.array(vJson),
    v.record(v.string(), vJson),
  ]),
);
const vTask = v.strictObject({
  id: vId('Task'),
  title: v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(500)),
  description: v.optional(v.pipe(v.string(), v.maxLength(10_000))),
  link: v.optional(v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(2000))),
  createdAt: v.optional(vInstant('Task')),
  startAt: v.optional(vInstant('Task')),
  recurrence: v.optional(
    v.union([
      v.strictObject({
        kind: v.optional(v.literal('cron')),
        cron: v.pipe(v.string(), v.check(cronOk)),
        timeZone: v.optional(v.pipe(v.string(), v.check(zoneOk))),
      }),
      v.strictObject({
        kind: v.optional(v.literal('interval')),
        everyMs: v.pipe(v.number(), v.integer(), v.minValue(1)),
        anchor: v.optional(vInstant('Task')),
      }),
    ]),
  ),
  priority: v.optional(v.picklist(['low', 'medium', 'high']), 'medium'),
  preferredSlots: v.optional(v.array(vId('Task')), []),
  retry: v.optional(
    v.strictObject({
      maxRetries: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(1000)), 0),
      delayMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)), 3_600_000),
      backoff: v.optional(v.picklist(['fixed', 'exponential']), 'fixed'),
      maxDelayMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
    }),
  ),
  pinnedTime: v.optional(vInstant('Task')),
  handler: v.optional(vId('Task')),
  timeoutMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
  payload: v.optional(v.record(v.string(), vJson)),
});
const vDay = v.strictObject({
  start: v.pipe(v.string(), v.regex(WALL)),
  end: v.pipe(v.string(), v.regex(WALL_END)),
  slots: v.optional(v.array(vId('Calendar'))),
});
const vCalendar = v.strictObject({
  timeZone: v.pipe(v.string(), v.check(zoneOk, msg('Calendar', 'an IANA time zone'))),
  workingHours: v.optional(
    v.partial(v.strictObject(Object.fromEntries(WEEK.map((d) => [d, vDay])))),
  ),
  slots: v.optional(
    v.array(
      v.strictObject({
        id: vId('Calendar'),
        start: v.pipe(v.string(), v.regex(WALL)),
        label: v.optional(v.pipe(v.string(), v.maxLength(200))),
      }),
    ),
    [],
  ),
  maxPerDay: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
  holidays: v.optional(v.array(v.pipe(v.string(), v.regex(/^\d{4}-\d{2}-\d{2}$/)))),
  exclusiveInstants: v.optional(v.boolean()),
});

// ── measurement ──────────────────────────────────────────────────────────────────────────
/** Median µs per call over 7 rounds of `n` calls, after a warm-up round. */
function usPerCall(fn, n) {
  for (let i = 0; i < n; i++) fn();
  const rounds = [];
  for (let r = 0; r < 7; r++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) fn();
    rounds.push(((performance.now() - t0) * 1000) / n);
  }
  rounds.sort((a, b) => a - b);
  return rounds[3];
}

const rows = [
  ['occurrence', 'ours', () => parseOccurrence(occurrence), 200_000],
  ['occurrence', 'zod 4', () => zOccurrence.parse(occurrence), 200_000],
  ['occurrence', 'zod/mini', () => mOccurrence.parse(occurrence), 200_000],
  ['occurrence', 'valibot', () => v.parse(vOccurrence, occurrence), 200_000],
  ['task', 'ours', () => parseTask(task, undefined, now), 20_000],
  ['task', 'zod 4', () => zTask.parse(task), 20_000],
  ['task', 'valibot', () => v.parse(vTask, task), 20_000],
  ['calendar', 'ours', () => parseCalendar(calendar), 50_000],
  ['calendar', 'zod 4', () => zCalendar.parse(calendar), 50_000],
  ['calendar', 'valibot', () => v.parse(vCalendar, calendar), 50_000],
];
console.log('| input | validator | µs per call |');
console.log('| --- | --- | ---: |');
for (const [input, name, fn, n] of rows)
  console.log(`| ${input} | ${name} | ${usPerCall(fn, n).toFixed(2)} |`);

// One wrong field, to compare what each says.
const bad = { ...occurrence, scheduledFor: '2026-03-30T09:30' };
const say = (fn) => {
  try {
    fn();
    return 'accepted';
  } catch (e) {
    return e.issues?.[0]?.message ?? e.message;
  }
};
console.log('\nmessage for scheduledFor "2026-03-30T09:30" (no offset):');
console.log(`  ours:     ${say(() => parseOccurrence(bad))}`);
console.log(`  zod 4:    ${say(() => zOccurrence.parse(bad))}`);
console.log(`  zod/mini: ${say(() => mOccurrence.parse(bad))}`);
console.log(`  valibot:  ${say(() => v.parse(vOccurrence, bad))}`);
const typo = { ...occurrence, sheduledFor: occurrence.scheduledFor };
console.log('message for a misspelt key "sheduledFor":');
console.log(`  ours:     ${say(() => parseOccurrence(typo))}`);
console.log(`  zod 4:    ${say(() => zOccurrence.parse(typo))}`);
console.log(`  valibot:  ${say(() => v.parse(vOccurrence, typo))}`);
