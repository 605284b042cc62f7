// Numbers, durations, dates and money as people read them, in the browser's locale; times in
// the account's timezone (set once signed in). Pure functions of their arguments (and, for
// `secondsSince`/`fmtAgo`, the clock; for times, the account's timezone).

let timeZone;

/** Shows times in the account's IANA timezone from now on (`undefined`: the browser's). */
export function useTimeZone(zone) {
  try {
    new Intl.DateTimeFormat(undefined, { timeZone: zone });
    timeZone = zone || undefined;
  } catch {
    timeZone = undefined;
  }
}

/** "3 min", "1 h 05 min", "2 d 4 h"; `null` → "—". */
export function fmtDuration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(Number(seconds))) return '—';
  let s = Math.max(0, Math.round(Number(seconds)));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min${s % 60 && m < 10 ? ` ${String(s % 60).padStart(2, '0')} s` : ''}`;
  const hrs = Math.floor(m / 60);
  if (hrs < 24) return `${hrs} h ${String(m % 60).padStart(2, '0')} min`;
  return `${Math.floor(hrs / 24)} d ${hrs % 24} h`;
}

/** Compact duration for big displays: "45s", "4m 14s", "14m", "3h 10m", "2d 4h". */
export function fmtShort(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(Number(seconds))) return '—';
  const s = Math.max(0, Math.round(Number(seconds)));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  if (m < 60) return `${m}m`;
  const hrs = Math.floor(m / 60);
  if (hrs < 24) return `${hrs}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(hrs / 24)}d ${hrs % 24}h`;
}

/** Seconds since an RFC 3339 time. */
export const secondsSince = (iso) => (iso ? Math.max(0, (Date.now() - Date.parse(iso)) / 1000) : null);

/** "5 min ago". */
export function fmtAgo(iso) {
  const s = secondsSince(iso);
  if (s === null) return '—';
  if (s < 45) return 'just now';
  return `${fmtDuration(s).replace(/ \d+ s$/, '')} ago`;
}

export function fmtDateTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short', timeZone });
}

export function fmtTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  // `numeric` hours: "18:53" or "6:53 PM" as the locale writes them, never "06:53 PM".
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleTimeString(undefined, { hour: 'numeric', minute: '2-digit', timeZone });
}

/** A `YYYY-MM-DD` date as "12 Jun 2026" (no timezone shift). */
export function fmtDate(ymd) {
  if (!ymd) return '—';
  const [y, m, d] = String(ymd).slice(0, 10).split('-').map(Number);
  if (!y || !m || !d) return String(ymd);
  return new Date(Date.UTC(y, m - 1, d)).toLocaleDateString(undefined, { dateStyle: 'medium', timeZone: 'UTC' });
}

export function fmtMoney(amount, currency) {
  if (amount === null || amount === undefined || amount === '') return '—';
  const n = Number(amount);
  if (Number.isNaN(n)) return String(amount);
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency: currency || 'EUR' }).format(n);
  } catch {
    return `${n.toFixed(2)} ${currency || ''}`.trim();
  }
}

export function fmtNumber(v, digits = 0) {
  if (v === null || v === undefined || Number.isNaN(Number(v))) return '—';
  return Number(v).toLocaleString(undefined, { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

export function fmtPercent(v) {
  if (v === null || v === undefined || Number.isNaN(Number(v))) return '—';
  return `${Number(v).toLocaleString(undefined, { maximumFractionDigits: 1 })} %`;
}

/** `YYYY-MM-DD` of a Date in local time. */
export function ymd(d) {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}
