// Desktop notifications for new work: a ticket given to me, or a guest's reply on one of
// mine. Only after the user switched them on (which asks the browser's permission), and never
// about the ticket the user is looking at right now.

import { prefs } from './prefs.js';

const supported = () => typeof Notification !== 'undefined';

/** Whether notifications are on and allowed. */
export const desktopOn = () => supported() && prefs.get('desktop', false) && Notification.permission === 'granted';

/** Switches notifications on (asking the browser's permission) or off; answers whether on. */
export async function setDesktop(on) {
  if (!on || !supported()) {
    prefs.set('desktop', false);
    return false;
  }
  const answer = Notification.permission === 'granted' ? 'granted' : await Notification.requestPermission();
  prefs.set('desktop', answer === 'granted');
  return answer === 'granted';
}

/** Shows a notification about a ticket; a click brings the tab forward on that ticket. */
export function desktopNotify(ticketId, title, body) {
  if (!desktopOn()) return;
  const looking = location.hash === `#/tickets/${ticketId}` && document.visibilityState === 'visible' && document.hasFocus();
  if (looking) return;
  const n = new Notification(title, { body: String(body || '').slice(0, 160), tag: `ticket-${ticketId}` });
  n.onclick = () => {
    window.focus();
    location.hash = `#/tickets/${ticketId}`;
    n.close();
  };
}
