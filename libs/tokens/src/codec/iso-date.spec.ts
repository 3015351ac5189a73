import { formatIsoDate, parseIsoDate } from './iso-date';

describe('parseIsoDate', () => {
  it.each([
    ['2099-01-01T00:00:00Z', '2099-01-01T00:00:00.000Z'],
    ['2099-01-01T00:00:00+00:00', '2099-01-01T00:00:00.000Z'],
    ['2076-11-13T19:15:54.492625+00:00', '2076-11-13T19:15:54.492Z'],
    ['2030-06-01T12:00:00+02:00', '2030-06-01T10:00:00.000Z'],
    ['2030-06-01T12:00:00-0530', '2030-06-01T17:30:00.000Z'],
    ['2030-06-01 12:00', '2030-06-01T12:00:00.000Z'],
    ['2030-06-01', '2030-06-01T00:00:00.000Z'],
  ])('reads %s', (input, iso) => {
    expect(parseIsoDate(input)?.toISOString()).toBe(iso);
  });

  it('reads a date without a time zone as UTC (the Python service crashes on it)', () => {
    expect(parseIsoDate('2030-01-01T08:00:00')?.toISOString()).toBe('2030-01-01T08:00:00.000Z');
  });

  it.each([
    '',
    'tomorrow',
    '2023-02-30T00:00:00Z',
    '2030-13-01',
    '2030-01-01T24:00:00Z',
    '2030-01-01T10:61Z',
    '2030-01-01T10:00:00+25:00',
    '1e12',
    '2030-01-01T10:00:00Zjunk',
    'x'.repeat(100),
  ])('refuses %p', (input) => {
    expect(parseIsoDate(input)).toBeNull();
  });
});

describe('formatIsoDate', () => {
  it('writes what Python isoformat() writes for an aware UTC datetime', () => {
    expect(formatIsoDate(new Date('2099-01-01T00:00:00Z'))).toBe('2099-01-01T00:00:00+00:00');
    expect(formatIsoDate(new Date('2076-11-13T19:15:54.492Z'))).toBe('2076-11-13T19:15:54.492000+00:00');
  });

  it('round-trips through parseIsoDate', () => {
    const d = new Date('2031-05-06T07:08:09.010Z');
    expect(parseIsoDate(formatIsoDate(d))?.getTime()).toBe(d.getTime());
  });
});
