// RRULE libraries compared on DST correctness in America/New_York, Europe/Berlin and
// Australia/Lord_Howe (a 30-minute shift), EXDATE, COUNT and UNTIL, then on the cost of the
// one query the planner makes: the first occurrence after an instant. Plain JavaScript on
// purpose: the other candidates are installed only for the run, so the type-checked tree
// does not depend on them. docs/architecture.md records the figures and the choice.
//
// Run (from the repository root; rrule-temporal is already a dependency):
//   npm install --no-save rrule@2 rrule-rust@3 @rschedule/core@1 @rschedule/ical-tools@1 \
//     ical.js@1 luxon@1 @rschedule/luxon-date-adapter@1 --legacy-peer-deps
//   npx tsx bench/experiments/rruleLibraries.mjs
//   TZ=Europe/Berlin npx tsx bench/experiments/rruleLibraries.mjs   # rrule.js depends on it
//
// Expected instants follow RFC 5545: a DATE-TIME that occurs twice means its first occurrence
// (§3.3.5), and a recurrence instance at a local time that does not exist is ignored and not
// counted (§3.3.10). The "moved" column counts the libraries that move such an instance to
// the instant the offset before the gap gives (§3.3.5's rule for a single DATE-TIME) instead.

const CASES = [
  // 2026-03-08 02:00 EST → 03:00 EDT; 2026-11-01 02:00 EDT → 01:00 EST.
  {
    name: 'New York gap, daily 02:30',
    zone: 'America/New_York',
    start: '20260307T023000',
    rule: 'FREQ=DAILY;COUNT=3',
    expect: ['2026-03-07T07:30:00Z', '2026-03-09T06:30:00Z', '2026-03-10T06:30:00Z'],
    moved: ['2026-03-07T07:30:00Z', '2026-03-08T07:30:00Z', '2026-03-09T06:30:00Z'],
  },
  {
    name: 'New York overlap, daily 01:30',
    zone: 'America/New_York',
    start: '20261031T013000',
    rule: 'FREQ=DAILY;COUNT=3',
    expect: ['2026-10-31T05:30:00Z', '2026-11-01T05:30:00Z', '2026-11-02T06:30:00Z'],
  },
  {
    name: 'New York weekly MO 09:00 across the change',
    zone: 'America/New_York',
    start: '20260302T090000',
    rule: 'FREQ=WEEKLY;BYDAY=MO;COUNT=2',
    expect: ['2026-03-02T14:00:00Z', '2026-03-09T13:00:00Z'],
  },
  // 2026-03-29 02:00 CET → 03:00 CEST; 2026-10-25 03:00 CEST → 02:00 CET.
  {
    name: 'Berlin gap, daily 02:30',
    zone: 'Europe/Berlin',
    start: '20260328T023000',
    rule: 'FREQ=DAILY;COUNT=3',
    expect: ['2026-03-28T01:30:00Z', '2026-03-30T00:30:00Z', '2026-03-31T00:30:00Z'],
    moved: ['2026-03-28T01:30:00Z', '2026-03-29T01:30:00Z', '2026-03-30T00:30:00Z'],
  },
  {
    name: 'Berlin overlap, daily 02:30',
    zone: 'Europe/Berlin',
    start: '20261024T023000',
    rule: 'FREQ=DAILY;COUNT=3',
    expect: ['2026-10-24T00:30:00Z', '2026-10-25T00:30:00Z', '2026-10-26T01:30:00Z'],
  },
  {
    name: 'Berlin hourly through the gap',
    zone: 'Europe/Berlin',
    start: '20260329T000000',
    rule: 'FREQ=HOURLY;COUNT=4',
    expect: [
      '2026-03-28T23:00:00Z',
      '2026-03-29T00:00:00Z',
      '2026-03-29T01:00:00Z',
      '2026-03-29T02:00:00Z',
    ],
  },
  // 2026-10-04 02:00 +10:30 → 02:30 +11; 2026-04-05 02:00 +11 → 01:30 +10:30.
  {
    name: 'Lord Howe gap (30 min), daily 02:15',
    zone: 'Australia/Lord_Howe',
    start: '20261003T021500',
    rule: 'FREQ=DAILY;COUNT=3',
    expect: ['2026-10-02T15:45:00Z', '2026-10-04T15:15:00Z', '2026-10-05T15:15:00Z'],
    moved: ['2026-10-02T15:45:00Z', '2026-10-03T15:45:00Z', '2026-10-04T15:15:00Z'],
  },
  {
    name: 'Lord Howe overlap (30 min), daily 01:45',
    zone: 'Australia/Lord_Howe',
    start: '20260404T014500',
    rule: 'FREQ=DAILY;COUNT=3',
    expect: ['2026-04-03T14:45:00Z', '2026-04-04T14:45:00Z', '2026-04-05T15:15:00Z'],
  },
  {
    name: 'Lord Howe monthly last Friday 12:00',
    zone: 'Australia/Lord_Howe',
    start: '20260327T120000',
    rule: 'FREQ=MONTHLY;BYDAY=-1FR;COUNT=2',
    expect: ['2026-03-27T01:00:00Z', '2026-04-24T01:30:00Z'],
  },
  {
    name: 'Berlin EXDATE skips one, UNTIL (inclusive) ends',
    zone: 'Europe/Berlin',
    start: '20260323T090000',
    rule: 'FREQ=DAILY;UNTIL=20260327T080000Z',
    exdate: '20260325T090000',
    expect: [
      '2026-03-23T08:00:00Z',
      '2026-03-24T08:00:00Z',
      '2026-03-26T08:00:00Z',
      '2026-03-27T08:00:00Z',
    ],
  },
  {
    name: 'New York EXDATE does not extend COUNT',
    zone: 'America/New_York',
    start: '20260105T090000',
    rule: 'FREQ=DAILY;COUNT=3',
    exdate: '20260106T090000',
    expect: ['2026-01-05T14:00:00Z', '2026-01-07T14:00:00Z'],
  },
];

const text = (c) =>
  `DTSTART;TZID=${c.zone}:${c.start}\nRRULE:${c.rule}${c.exdate ? `\nEXDATE;TZID=${c.zone}:${c.exdate}` : ''}`;
const iso = (ms) => new Date(ms).toISOString().replace('.000Z', 'Z');

/** Each candidate: { occurrences(case) → ISO strings, after(rule text) → (ms) → ms | null }. */
const candidates = {};
async function add(name, load) {
  try {
    candidates[name] = await load();
  } catch (error) {
    console.log(`${name}: not installed (${error.message.split('\n')[0]})`);
  }
}

await add('rrule-temporal 2.2', async () => {
  const { RRuleTemporal } = await import('rrule-temporal');
  return {
    occurrences: (c) =>
      new RRuleTemporal({ rruleString: text(c) })
        .all((_, i) => i < 10)
        .map((z) => iso(z.epochMilliseconds)),
    after: (source) => {
      const rule = new RRuleTemporal({ rruleString: source });
      return (ms) => rule.next(new Date(ms))?.epochMilliseconds ?? null;
    },
  };
});
await add('rrule 2.8', async () => {
  const m = await import('rrule');
  const rrulestr = m.rrulestr ?? m.default.rrulestr;
  return {
    occurrences: (c) =>
      rrulestr(text(c), { forceset: true })
        .all((_, i) => i < 10)
        .map((d) => iso(d.getTime())),
    after: (source) => {
      const rule = rrulestr(source, { forceset: true });
      return (ms) => rule.after(new Date(ms))?.getTime() ?? null;
    },
  };
});
await add('rrule-rust 3.1 (native)', async () => {
  const { RRuleSet, DateTime } = await import('rrule-rust');
  return {
    occurrences: (c) =>
      RRuleSet.fromString(text(c))
        .all(10)
        .map((d) => iso(d.toDate().getTime())),
    after: (source) => {
      const set = RRuleSet.fromString(source);
      const week = 7 * 86_400_000;
      return (ms) => {
        const next = set.between(DateTime.fromTimestamp(ms), DateTime.fromTimestamp(ms + week))[0];
        return next === undefined ? null : next.toTimestamp();
      };
    },
  };
});
await add('@rschedule 1.5 (ical-tools + luxon)', async () => {
  await import('@rschedule/luxon-date-adapter/umd/setup.js');
  const { VEvent } = await import('@rschedule/ical-tools');
  const { DateTime } = await import('luxon');
  const event = (source) =>
    VEvent.fromICal(['BEGIN:VEVENT', ...source.split('\n'), 'END:VEVENT'].join('\n'))[0];
  return {
    occurrences: (c) =>
      event(text(c))
        .occurrences({ take: 10 })
        .toArray()
        .map((a) => iso(a.date.toMillis())),
    after: (source) => {
      const ev = event(source);
      return (ms) => {
        const first = ev.occurrences({ start: DateTime.fromMillis(ms + 1), take: 1 }).toArray()[0];
        return first === undefined ? null : first.date.toMillis();
      };
    },
  };
});

console.log(`process TZ: ${Intl.DateTimeFormat().resolvedOptions().timeZone}\n`);
const same = (a, b) => b !== undefined && JSON.stringify(a) === JSON.stringify(b);
const summary = [];
for (const [name, lib] of Object.entries(candidates)) {
  let pass = 0;
  let moved = 0;
  const fails = [];
  for (const c of CASES) {
    let got;
    try {
      got = lib.occurrences(c);
    } catch (error) {
      got = [`threw: ${error.message}`];
    }
    if (same(got, c.expect)) pass += 1;
    else if (same(got, c.moved)) moved += 1;
    else fails.push(`  ✗ ${c.name}\n      want ${c.expect.join(' ')}\n      got  ${got.join(' ')}`);
  }
  // Cost of "first occurrence after t" for a daily 09:00 Berlin rule begun a year earlier,
  // at 2 000 instants spread over the following year.
  const next = lib.after('DTSTART;TZID=Europe/Berlin:20250101T090000\nRRULE:FREQ=DAILY');
  const from = Date.parse('2026-01-01T00:00:00Z');
  const queries = Array.from({ length: 2000 }, (_, i) => from + i * 15_768_000);
  for (const q of queries.slice(0, 50)) next(q);
  const t0 = performance.now();
  for (const q of queries) next(q);
  const us = ((performance.now() - t0) * 1000) / queries.length;
  summary.push({
    name,
    pass: `${pass}/${CASES.length}`,
    moved,
    wrong: fails.length,
    us: us.toFixed(0),
  });
  console.log(`${name}: ${pass}/${CASES.length} as RFC 5545, ${moved} moved out of a gap`);
  for (const f of fails) console.log(f);
}
console.log('\n| library | as RFC 5545 | gap instance moved | wrong | µs per "next after t" |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const s of summary)
  console.log(`| ${s.name} | ${s.pass} | ${s.moved} | ${s.wrong} | ${s.us} |`);
