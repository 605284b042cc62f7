// Small DOM and formatting helpers shared by the views. No state lives here.

/**
 * Creates an element: `h('button', {type: 'button', onclick}, 'Save')`.
 * Attributes starting with `on` become listeners; `class`, `dataset`, boolean and `hidden`
 * are handled; `null`/`false` children are skipped; strings become text nodes (never HTML).
 */
export function h(tag, attrs = {}, ...children) {
  const el = tag.includes(':')
    ? document.createElementNS('http://www.w3.org/2000/svg', tag.split(':')[1])
    : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'value' && 'value' in el) el.value = v;
    else if (k === 'checked' || k === 'selected') el[k] = !!v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces the children of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let uid = 0;
/** A fresh id for label/for pairs. */
export const nextId = (prefix = 'f') => `${prefix}-${++uid}`;

/** A labelled form field: `field('Email', h('input', {...}))`. */
export function field(label, control, hint) {
  if (!control.id) control.id = nextId();
  const hintEl = hint ? h('small', { class: 'hint', id: `${control.id}-hint` }, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: control.id }, label), control, hintEl);
}

/** A group of checkboxes in a fieldset; returns {el, values()}. */
export function checkboxGroup(legend, options, selected = [], name = nextId('g')) {
  const chosen = new Set(selected);
  const boxes = options.map((opt) => {
    const id = nextId('cb');
    const input = h('input', { type: 'checkbox', id, name, value: opt.value, checked: chosen.has(opt.value) });
    return { input, el: h('label', { class: 'check', for: id }, input, ' ', opt.label) };
  });
  const el = h('fieldset', { class: 'checks' }, h('legend', {}, legend), boxes.map((b) => b.el));
  return { el, values: () => boxes.filter((b) => b.input.checked).map((b) => b.input.value) };
}

/** An inline error/success message area for a form. */
export function formMessage() {
  const el = h('p', { class: 'form-message', role: 'status', 'aria-live': 'polite' });
  return {
    el,
    error(msg) {
      el.className = 'form-message error';
      el.textContent = msg;
    },
    ok(msg) {
      el.className = 'form-message ok';
      el.textContent = msg;
    },
    clear() {
      el.className = 'form-message';
      el.textContent = '';
    },
  };
}

/** Runs `fn` with `button` disabled, so a double click cannot send twice. */
export async function busy(button, fn) {
  if (button) button.disabled = true;
  try {
    return await fn();
  } finally {
    if (button) button.disabled = false;
  }
}

// ---- words ---------------------------------------------------------------------------------

export const STAGES = [
  { value: 'pre_booking', label: 'Pre-booking' },
  { value: 'booked', label: 'Booked' },
  { value: 'staying', label: 'Staying' },
  { value: 'post_stay', label: 'Post-stay' },
];
export const STATES = [
  { value: 'queued', label: 'Queued' },
  { value: 'assigned', label: 'Assigned' },
  { value: 'opened', label: 'Opened' },
  { value: 'pending', label: 'Pending' },
  { value: 'done', label: 'Done' },
];
export const CHANNELS = [
  { value: 'airbnb', label: 'Airbnb' },
  { value: 'booking', label: 'Booking.com' },
  { value: 'vrbo', label: 'Vrbo' },
  { value: 'direct', label: 'Direct' },
  { value: 'email', label: 'E-mail' },
  { value: 'sms', label: 'SMS' },
  { value: 'whatsapp', label: 'WhatsApp' },
];
const labelOf = (list, v) => (list.find((x) => x.value === v) || { label: v || '—' }).label;
export const stageLabel = (v) => labelOf(STAGES, v);
export const stateLabel = (v) => labelOf(STATES, v);
export const channelLabel = (v) => labelOf(CHANNELS, v);

// ---- numbers and times ---------------------------------------------------------------------

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
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function fmtTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
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

// ---- sound ---------------------------------------------------------------------------------

let audio = null;
/** A short, quiet beep (WebAudio; no files). */
export function beep() {
  try {
    audio = audio || new (window.AudioContext || window.webkitAudioContext)();
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.type = 'sine';
    osc.frequency.value = 880;
    gain.gain.setValueAtTime(0.0001, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.15, audio.currentTime + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + 0.25);
    osc.connect(gain).connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + 0.3);
  } catch {
    /* no audio available: stay silent */
  }
}

export const prefs = {
  get(key, fallback) {
    try {
      const v = localStorage.getItem(`switchboard.${key}`);
      return v === null ? fallback : JSON.parse(v);
    } catch {
      return fallback;
    }
  },
  set(key, value) {
    try {
      localStorage.setItem(`switchboard.${key}`, JSON.stringify(value));
    } catch {
      /* private mode: keep it for this page only */
    }
  },
};
