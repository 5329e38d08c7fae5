// Editing one's own message in place, and deleting a message for oneself. Edit swaps the
// message's text for a box with Save and Cancel (Enter saves, Shift+Enter adds a line, Esc
// cancels); the saved text replaces the old one on every page showing it (a message.edited
// event: `showEdited`). Delete for me (after a confirm) takes the message off this page and,
// through a message.hidden event, off this person's other pages (`removeHidden`).
//
//   wireEditing({ messages, state });           // the Edit and Delete for me buttons
//   showEdited(messages, message);              // message.edited
//   removeHidden(messages, messageId);          // message.hidden

import { api } from '../api.js';
import { actionText } from './message-marks.js';

// Redraw the shown `message` (its JSON after an edit); nothing when it is not shown.
export function showEdited(messages, message) {
  const node = messages.node(message.id);
  const shown = messages.state.messages.get(message.id);
  // A recall that overtook a late edit's event wins: the recalled text never comes back.
  if (!shown || shown.recalled) return;
  messages.state.update(message);
  if (!node || node.querySelector('[data-edit-form]')) return;
  node.replaceWith(messages.view.messageNode(message));
  messages.redrawDays();
}

// Take message `messageId` off the page (deleted for this person).
export function removeHidden(messages, messageId) {
  messages.state.messages.delete(messageId);
  const node = messages.node(messageId);
  if (!node) return;
  node.remove();
  messages.redrawDays();
}

// Whom `body` mentions, as the composer would send it: the members (and, for the group's
// owner, @all) whose "@name" is in the text. Names added or removed while editing count.
function mentionsIn(body, state, text) {
  const mentions = state.mentionable.filter((person) => body.includes(`@${person.nickname}`)).map((p) => p.id);
  return { mentions, mention_all: state.canMentionAll && body.includes(text.mentionAllToken) };
}

function editForm(message, onSave, onCancel) {
  const text = actionText();
  const form = document.createElement('form');
  form.className = 'message-edit';
  form.dataset.editForm = '';
  const box = document.createElement('textarea');
  box.value = message.body;
  box.maxLength = 5000;
  box.rows = Math.min(8, message.body.split('\n').length + 1);
  box.setAttribute('aria-label', text.edit);
  const save = document.createElement('button');
  save.type = 'submit';
  save.className = 'btn btn-small btn-primary';
  save.textContent = text.save;
  const cancel = document.createElement('button');
  cancel.type = 'button';
  cancel.className = 'btn btn-small btn-secondary';
  cancel.textContent = text.cancel;
  cancel.addEventListener('click', onCancel);
  form.addEventListener('submit', (event) => { event.preventDefault(); onSave(box.value, save); });
  box.addEventListener('keydown', (event) => {
    if (event.isComposing) return;
    if (event.key === 'Escape') { event.preventDefault(); onCancel(); }
    if (event.key === 'Enter' && !event.shiftKey) { event.preventDefault(); form.requestSubmit(); }
  });
  const buttons = document.createElement('div');
  buttons.className = 'message-edit-buttons';
  buttons.append(cancel, save);
  form.append(box, buttons);
  return form;
}

// Open the edit box on the shown `message`, in place of its text.
function startEdit(messages, message) {
  const node = messages.node(message.id);
  if (!node || node.querySelector('[data-edit-form]')) return;
  const text = actionText();
  const redraw = () => {
    const current = messages.state.messages.get(message.id) || message;
    const fresh = messages.view.messageNode(current);
    messages.node(message.id)?.replaceWith(fresh); // gone meanwhile: deleted for me elsewhere
    messages.redrawDays();
    return fresh;
  };
  const form = editForm(message, async (body, save) => {
    if (!body.trim()) return;
    save.disabled = true;
    try {
      const edited = await api('PATCH', `/api/v1/messages/${message.id}`,
        { body, ...mentionsIn(body, messages.state, text) });
      messages.state.update(edited);
      redraw();
    } catch (error) {
      save.disabled = false;
      save.title = error.message;
      window.alert(error.message);
    }
  }, () => { redraw().querySelector('[data-edit]')?.focus(); });
  const shown = node.querySelector('.message-text');
  if (shown) shown.replaceWith(form); else node.querySelector('.message-main').append(form);
  node.querySelector('.message-actions').hidden = true;
  const box = form.querySelector('textarea');
  box.focus();
  box.setSelectionRange(box.value.length, box.value.length);
}

// Clicks on the Edit and Delete for me buttons of the page's messages.
export function wireEditing({ messages, state }) {
  messages.list.addEventListener('click', async (event) => {
    const button = event.target.closest('[data-edit], [data-hide]');
    if (!button) return;
    const message = state.messages.get(Number(button.closest('[data-message-id]').dataset.messageId));
    if (!message) return;
    if (button.dataset.edit !== undefined) { startEdit(messages, message); return; }
    if (!window.confirm(actionText().deleteForMeConfirm)) return;
    button.disabled = true;
    try {
      await api('POST', `/api/v1/messages/${message.id}/hide`);
      removeHidden(messages, message.id);
    } catch (error) {
      button.disabled = false;
      window.alert(error.message);
    }
  });
}
