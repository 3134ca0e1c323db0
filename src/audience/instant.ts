/** ISO 8601 dates and date-times as instants, for `date` fields and date conditions. */

/**
 * Milliseconds since the epoch, or NaN when the text is not an ISO date (`2026-01-31`) or
 * date-time (`2026-01-31T09:00`, `…:00`, `…:00.123`, each optionally `Z` or `+01:00`) naming a
 * real calendar instant: the shape the segment lint accepts (src/config/lint/segments.ts). A date
 * alone is midnight UTC, and so is a date-time without an offset: who gets mail must not depend on
 * the machine's time zone.
 *
 * Hand-rolled rather than a regex and Date: it runs for every date field of every row, and this
 * way allocates nothing.
 */
export function parseInstant(text: string): number {
  const n = text.length;
  if (n < 10 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45) return Number.NaN;
  const y = digits(text, 0, 4);
  const mo = digits(text, 5, 2);
  const d = digits(text, 8, 2);
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo)) return Number.NaN;
  let ms = daysFromCivil(y, mo, d) * 86_400_000;
  if (n === 10) return ms;
  // THH:MM
  if (n < 16 || text.charCodeAt(10) !== 84 /* T */ || text.charCodeAt(13) !== 58) return Number.NaN;
  const h = digits(text, 11, 2);
  const mi = digits(text, 14, 2);
  if (h < 0 || h > 23 || mi < 0 || mi > 59) return Number.NaN;
  ms += h * 3_600_000 + mi * 60_000;
  let i = 16;
  if (i < n && text.charCodeAt(i) === 58 /* : */) {
    const s = digits(text, i + 1, 2);
    if (s < 0 || s > 59) return Number.NaN;
    ms += s * 1000;
    i += 3;
    if (i < n && text.charCodeAt(i) === 46 /* . */) {
      i++;
      const start = i;
      let frac = 0;
      while (i < n) {
        const c = text.charCodeAt(i) - 48;
        if (c < 0 || c > 9) break;
        if (i - start < 3) frac = frac * 10 + c;
        i++;
      }
      if (i === start) return Number.NaN;
      const len = i - start;
      ms += len >= 3 ? frac : len === 2 ? frac * 10 : frac * 100;
    }
  }
  if (i === n) return ms;
  const z = text.charCodeAt(i);
  if (z === 90 /* Z */) return i + 1 === n ? ms : Number.NaN;
  if ((z !== 43 && z !== 45) || i + 6 !== n || text.charCodeAt(i + 3) !== 58) return Number.NaN;
  const oh = digits(text, i + 1, 2);
  const om = digits(text, i + 4, 2);
  if (oh < 0 || oh > 23 || om < 0 || om > 59) return Number.NaN;
  const offset = (oh * 60 + om) * 60_000;
  return z === 43 ? ms - offset : ms + offset;
}

/** The number written in `count` ASCII digits at `at`, or -1. */
function digits(text: string, at: number, count: number): number {
  let v = 0;
  for (let i = at; i < at + count; i++) {
    const c = text.charCodeAt(i) - 48;
    if (!(c >= 0 && c <= 9)) return -1;
    v = v * 10 + c;
  }
  return v;
}

function daysIn(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days since 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}
