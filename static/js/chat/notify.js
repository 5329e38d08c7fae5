// Browser notifications for messages from others while the chat's tab is hidden, once the
// person allowed them with the page's "Notify me" button.
//
//   offerNotifications(document.querySelector('[data-enable-notifications]'));
//   notifyMessage(message, text.newMessage, view.previewOf(message));
//   notifyMessage(message, text.mentionedYou, view.previewOf(message), { mention: true });

// Show `button` while the browser has not asked yet; a click asks.
import { fill } from '../ui.js';

export function offerNotifications(button) {
  if (!button || !('Notification' in window) || Notification.permission !== 'default') return;
  button.hidden = false;
  button.addEventListener('click', () => Notification.requestPermission().then(() => { button.hidden = true; }));
}

// Notify of `message` (titled with `title`, a "{name}" template) if allowed; a click opens
// its conversation (at the message, for a mention). A conversation's notifications replace
// each other, but a mention has its own, so the next chatter in a busy group cannot hide it.
export function notifyMessage(message, title, preview, { mention = false } = {}) {
  if (!('Notification' in window) || Notification.permission !== 'granted') return;
  const name = message.sender ? message.sender.nickname : '';
  const tag = mention ? `m${message.id}` : `c${message.conversation_id}`;
  const note = new Notification(fill(title, { name }), { body: preview, tag });
  const url = mention ? `/chat/${message.conversation_id}?message=${message.id}` : `/chat/${message.conversation_id}`;
  note.onclick = () => { window.focus(); window.location.assign(url); };
}
