// The friends page: add-friend dialog, friend filter, and the delete-friend row menu.
import { api } from './api.js';
import { announce, clearFormErrors, confirmAction, fill, filterList, rowMenus, showFormErrors } from './ui.js';

const text = document.getElementById('friend-messages').dataset;
const dialog = document.getElementById('add-friend-dialog');
const form = document.getElementById('add-friend-form');
let sourceButton = null;

document.addEventListener('click', (event) => {
  const button = event.target.closest('[data-add-friend]');
  if (!button) return;
  sourceButton = button;
  clearFormErrors(form);
  form.elements.username.value = button.dataset.addFriend;
  dialog.showModal();
  (button.dataset.addFriend ? form.elements.reason : form.elements.username).focus();
});

dialog.querySelector('[data-close]').addEventListener('click', () => dialog.close());

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const submit = form.querySelector('[type="submit"]');
  submit.disabled = true;
  try {
    const result = await api('POST', '/api/v1/friend-requests', {
      username: form.elements.username.value.trim(),
      reason: form.elements.reason.value,
    });
    dialog.close();
    form.reset();
    announce(text[result.outcome]);
    const row = sourceButton && sourceButton.closest('[data-user-id]');
    if (row) {
      const relation = row.querySelector('.relation');
      relation.dataset.relation = result.outcome === 'accepted' ? 'friend' : 'request_sent';
      relation.textContent = result.outcome === 'accepted' ? text.friend : text.requestSent;
      if (result.outcome === 'accepted') sourceButton.remove();
    }
  } catch (error) {
    showFormErrors(form, error);
  } finally {
    submit.disabled = false;
  }
});

const list = document.getElementById('friend-list');
const filter = document.getElementById('friend-filter');
if (filter) filterList(filter, list);

rowMenus(async (action, row) => {
  if (action !== 'delete-friend') return;
  const name = row.dataset.name;
  if (!(await confirmAction(fill(text.confirmDelete, { name }), text.deleteLabel))) return;
  try {
    await api('DELETE', `/api/v1/friends/${row.dataset.userId}`);
    row.remove();
    const count = document.querySelector('#friends-heading > span');
    count.textContent = list.querySelectorAll('[data-user-id]').length;
    announce(fill(text.deleted, { name }));
  } catch (error) {
    announce(error.message, 'error');
  }
});
