// Browser notifications for messages from others while the chat's tab is hidden, once the
// person allowed them with the page's "Notify me" button.
//
//   offerNotifications(document.querySelector('[data-enable-notifications]'));
//   notifyMessage(message, text.newMessage, view.previewOf(message));

// Show `button` while the browser has not asked yet; a click asks.
export function offerNotifications(button) {
  if (!button || !('Notification' in window) || Notification.permission !== 'default') return;
  button.hidden = false;
  button.addEventListener('click', () => Notification.requestPermission().then(() => { button.hidden = true; }));
}

// Notify of `message` (titled with `title`, a "{name}" template) if allowed; a click opens
// its conversation.
export function notifyMessage(message, title, preview) {
  if (!('Notification' in window) || Notification.permission !== 'granted') return;
  const name = message.sender ? message.sender.nickname : '';
  const note = new Notification(title.replace('{name}', name), { body: preview, tag: `c${message.conversation_id}` });
  note.onclick = () => { window.focus(); window.location.assign(`/chat/${message.conversation_id}`); };
}
