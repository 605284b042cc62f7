// Per-browser preferences (sound, inbox filters, last account) in localStorage under
// `switchboard.*`; when storage is unavailable they quietly last for the page only.

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
