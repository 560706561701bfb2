import { compressToRanges, schedulingSchema, schedulingSpecOf, type MakeScheduling } from '../../../src/domain';

function specOf(scheduling: MakeScheduling) {
  const result = schedulingSpecOf(scheduling);
  if (!result.ok) throw new Error(`${result.path}: ${result.message}`);
  return result.spec;
}

const every = (start: number, end: number, step?: number) => (step ? { start, end, step } : { start, end });
const at = (value: number) => [{ start: value, end: value }];
const anyDay = { dayOfMonth: '*', month: '*', dayOfWeek: '*', year: '*' } as const;

describe('Make scheduling → Temporal Schedule spec', () => {
  it('indefinitely: an interval of `interval` seconds', () => {
    expect(specOf({ type: 'indefinitely', interval: 900 })).toEqual({ intervals: [{ every: 900_000 }] });
  });

  it('immediately and on-demand: no schedule', () => {
    expect(specOf({ type: 'immediately' })).toBeUndefined();
    expect(specOf({ type: 'on-demand' })).toBeUndefined();
  });

  it('once: a calendar at the date, in UTC, whatever offset the date was written in', () => {
    expect(specOf({ type: 'once', date: '2027-03-01T10:30:15+02:00', timezone: 'Europe/Prague' })).toEqual({
      calendars: [
        {
          second: 15,
          minute: at(30),
          hour: at(8),
          dayOfMonth: at(1),
          month: [{ start: 'MARCH', end: 'MARCH' }],
          dayOfWeek: '*',
          year: at(2027),
        },
      ],
      timezone: 'UTC',
    });
  });

  it('once: refuses a bare date, as Make does', () => {
    expect(schedulingSpecOf({ type: 'once', date: '2027-03-01' })).toMatchObject({ ok: false, path: 'date' });
  });

  it('daily: a calendar at the time, in the given zone', () => {
    expect(specOf({ type: 'daily', time: '07:05', timezone: 'America/New_York' })).toEqual({
      calendars: [{ second: 0, minute: at(5), hour: at(7), ...anyDay }],
      timezone: 'America/New_York',
    });
  });

  it('weekly: weekdays 0-6 with 0 = Sunday, named for Temporal', () => {
    expect(specOf({ type: 'weekly', days: [5, 1, 2, 3], time: '18:00' })?.calendars).toEqual([
      {
        second: 0,
        minute: at(0),
        hour: at(18),
        dayOfMonth: '*',
        month: '*',
        dayOfWeek: [
          { start: 'MONDAY', end: 'WEDNESDAY' },
          { start: 'FRIDAY', end: 'FRIDAY' },
        ],
        year: '*',
      },
    ]);
  });

  it('monthly: days of the month', () => {
    expect(specOf({ type: 'monthly', days: [1, 15], time: '00:00' })?.calendars).toEqual([
      {
        second: 0,
        minute: at(0),
        hour: at(0),
        dayOfMonth: [every(1, 1), every(15, 15)],
        month: '*',
        dayOfWeek: '*',
        year: '*',
      },
    ]);
  });

  it('yearly: months and days of the month', () => {
    expect(specOf({ type: 'yearly', months: [12], days: [24, 25, 26], time: '12:00' })?.calendars).toEqual([
      {
        second: 0,
        minute: at(0),
        hour: at(12),
        dayOfMonth: [every(24, 26)],
        month: [{ start: 'DECEMBER', end: 'DECEMBER' }],
        dayOfWeek: '*',
        year: '*',
      },
    ]);
  });

  it('indefinitely with a restrict window: a calendar stepped by the interval inside the window', () => {
    const spec = specOf({
      type: 'indefinitely',
      interval: 900,
      restrict: [{ days: [1, 2, 3, 4, 5], time: ['09:00', '17:30'] }],
    });
    const weekdays = [{ start: 'MONDAY', end: 'FRIDAY' }];
    expect(spec).toEqual({
      calendars: [
        {
          second: 0,
          minute: [every(0, 45, 15)],
          hour: [every(9, 16)],
          dayOfMonth: '*',
          month: '*',
          dayOfWeek: weekdays,
          year: '*',
        },
        {
          second: 0,
          minute: [every(0, 0), every(15, 15)],
          hour: at(17),
          dayOfMonth: '*',
          month: '*',
          dayOfWeek: weekdays,
          year: '*',
        },
      ],
    });
  });

  it('restrict: a window over midnight, and several windows as one calendar each', () => {
    const spec = specOf({
      type: 'indefinitely',
      interval: 7200,
      restrict: [{ time: ['22:00', '02:00'] }, { months: [1], time: ['12:00', '13:00'] }],
    });
    expect(spec?.calendars).toEqual([
      { second: 0, minute: at(0), hour: [every(0, 0), every(22, 22)], ...anyDay },
      {
        second: 0,
        minute: at(0),
        hour: at(12),
        dayOfMonth: '*',
        month: [{ start: 'JANUARY', end: 'JANUARY' }],
        dayOfWeek: '*',
        year: '*',
      },
    ]);
  });

  it('restrict on a fixed time: keeps the days of both, drops a window the time is outside of', () => {
    const spec = specOf({
      type: 'weekly',
      days: [0, 1, 6],
      time: '10:00',
      restrict: [{ days: [6, 7] }, { time: ['11:00', '12:00'] }],
    });
    expect(spec?.calendars).toEqual([
      {
        second: 0,
        minute: at(0),
        hour: at(10),
        dayOfMonth: '*',
        month: '*',
        dayOfWeek: [
          { start: 'SUNDAY', end: 'SUNDAY' },
          { start: 'SATURDAY', end: 'SATURDAY' },
        ],
        year: '*',
      },
    ]);
  });

  it('refuses restrict windows that leave no time, and an interval that does not divide an hour or a day', () => {
    expect(schedulingSpecOf({ type: 'daily', time: '08:00', restrict: [{ time: ['09:00', '17:00'] }] })).toMatchObject({
      ok: false,
      path: 'restrict',
    });
    expect(schedulingSpecOf({ type: 'indefinitely', interval: 420, restrict: [{ days: [1] }] })).toMatchObject({
      ok: false,
      path: 'interval',
    });
  });

  it('between: startAt and endAt', () => {
    expect(
      specOf({ type: 'indefinitely', interval: 60, between: ['2027-01-01T00:00:00Z', '2027-02-01T00:00:00Z'] }),
    ).toEqual({
      intervals: [{ every: 60_000 }],
      startAt: new Date('2027-01-01T00:00:00Z'),
      endAt: new Date('2027-02-01T00:00:00Z'),
    });
  });

  it('cron stays a cron expression', () => {
    expect(specOf({ type: 'cron', cron: '*/5 * * * *' })).toEqual({ cronExpressions: ['*/5 * * * *'] });
  });
});

describe('schedulingSchema', () => {
  const issues = (value: unknown) => {
    const result = schedulingSchema.safeParse(value);
    return result.success ? [] : result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  };

  it('accepts every Make type, as an object or as JSON text', () => {
    for (const scheduling of [
      { type: 'indefinitely', interval: 900 },
      { type: 'once', date: '2027-01-01T09:00:00Z' },
      { type: 'daily', time: '9:30' },
      { type: 'weekly', days: [1], time: '09:30' },
      { type: 'monthly', days: [31], time: '09:30' },
      { type: 'yearly', months: [2], days: [29], time: '09:30' },
      { type: 'immediately' },
      { type: 'on-demand' },
    ]) {
      expect(issues(scheduling)).toEqual([]);
      expect(issues(JSON.stringify(scheduling))).toEqual([]);
    }
  });

  it('reads an empty scheduling (some exports carry `{}`) as runs on demand only', () => {
    expect(schedulingSchema.parse({})).toEqual({ type: 'on-demand' });
    expect(schedulingSchema.parse('{}')).toEqual({ type: 'on-demand' });
  });

  it('names the field and the reason of what it refuses', () => {
    expect(issues({ type: 'weekly', days: [9], time: '09:00' })).toEqual([
      { path: 'days', message: '9 is not one of weekdays 0-6, 0 = Sunday' },
    ]);
    expect(issues({ type: 'daily', time: '25:00' })).toEqual([
      { path: 'time', message: '"25:00" is not a time HH:mm' },
    ]);
    expect(issues({ type: 'daily', time: '09:00', restrict: [{ time: ['9', '10:00'] }] })).toEqual([
      { path: 'restrict.0.time.0', message: 'must be a time HH:mm' },
    ]);
    expect(issues({ type: 'daily', time: '09:00', timezone: 'Mars/Olympus' })).toEqual([
      { path: 'timezone', message: 'must be an IANA time zone such as Europe/Prague' },
    ]);
    expect(issues({ type: 'hourly' })).toEqual([expect.objectContaining({ path: 'type' })]);
  });
});

describe('compressToRanges', () => {
  it('makes one stepped range of evenly spaced values, runs otherwise', () => {
    expect(compressToRanges([0, 20, 40])).toEqual([every(0, 40, 20)]);
    expect(compressToRanges([3, 1, 2, 7])).toEqual([every(1, 3), every(7, 7)]);
    expect(compressToRanges([0, 20, 40], false)).toEqual([every(0, 0), every(20, 20), every(40, 40)]);
  });
});
