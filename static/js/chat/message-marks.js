// What a message shows of edits and forwards, and the actions on them: "Forwarded from
// <name>" above a forwarded copy's content, "(edited)" beside the time of an edited message
// (its title says when), and the Edit (one's own text or caption, within the edit window),
// Delete for me and Forward buttons of a stored message. The strings, and the edit window,
// come from the page's #edit-forward-text (templates/chat/index.html); the clicks are
// ./message-editing.js's and ./forwarding.js's.
//
//   const forwarded = forwardedNode(message); if (forwarded) main.append(forwarded);
//   meta.append(...editedMark(message));
//   bar.append(...moreActions(message, state));

import { fill } from '../ui.js';

const EDITABLE_KINDS = ['text', 'image', 'file']; // a voice message has no text to edit

// The page's strings for these marks and actions (a dataset), read when first needed.
export function actionText() {
  const strings = document.getElementById('edit-forward-text');
  return strings ? strings.dataset : {};
}

export function forwardedNode(message) {
  if (!message.forwarded) return null;
  const line = document.createElement('p');
  line.className = 'message-forwarded muted';
  const from = message.forwarded.from ? message.forwarded.from.nickname : '—';
  line.textContent = fill(actionText().forwardedFrom, { name: from });
  return line;
}

// [' ', the "(edited)" mark] for an edited message, else [].
export function editedMark(message) {
  if (!message.edited_at || message.recalled) return [];
  const text = actionText();
  const mark = document.createElement('span');
  mark.className = 'message-edited muted';
  mark.textContent = text.edited;
  const when = new Intl.DateTimeFormat(text.locale, { dateStyle: 'medium', timeStyle: 'short' });
  mark.title = fill(text.editedAt, { time: when.format(new Date(message.edited_at)) });
  return [' ', mark];
}

// True when this person may still edit `message` (their own, not a voice message, not recalled,
// sent less than the edit window ago).
export function canEdit(message, state) {
  const windowMs = Number(actionText().editWindow) * 1000;
  return state.isMine(message) && !message.recalled && !message.forwarded && EDITABLE_KINDS.includes(message.kind)
    && Date.now() - new Date(message.created_at).getTime() < windowMs;
}

// The Edit (when allowed), Delete for me and Forward buttons of the stored `message`.
export function moreActions(message, state) {
  const text = actionText();
  const buttons = [];
  if (canEdit(message, state)) buttons.push(actionButton(text.edit, 'edit'));
  buttons.push(actionButton(text.forward, 'forward'), actionButton(text.deleteForMe, 'hide'));
  return buttons;
}

function actionButton(label, action) {
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'btn btn-small btn-link';
  button.textContent = label;
  button.dataset[action] = '';
  return button;
}
