// One group's page: add friends, quit; for the owner: rename, remove members, invite link, dissolve.
import { api } from './api.js';
import { checkedValues, wireDialogs } from './dialogs.js';
import { announce, confirmAction, fill, showFormErrors } from './ui.js';

const text = document.getElementById('group-messages').dataset;
const groupId = document.getElementById('group').dataset.groupId;
const base = `/api/v1/groups/${groupId}`;
wireDialogs();

const addForm = document.getElementById('add-members-form');
addForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    await api('POST', `${base}/members`, { user_ids: checkedValues(addForm, 'member') });
    window.location.reload();
  } catch (error) {
    showFormErrors(addForm, error);
  }
});

document.addEventListener('click', async (event) => {
  const action = event.target.closest('[data-group-action]');
  if (action) {
    const quitting = action.dataset.groupAction === 'quit';
    const ok = await confirmAction(quitting ? text.confirmQuit : text.confirmDissolve,
      quitting ? text.quitLabel : text.dissolveLabel);
    if (!ok) return;
    try {
      await api(quitting ? 'POST' : 'DELETE', quitting ? `${base}/quit` : base);
      window.location.assign(text.groupsUrl);
    } catch (error) {
      announce(error.message, 'error');
    }
    return;
  }
  const remove = event.target.closest('[data-remove-member]');
  if (remove) {
    const row = remove.closest('[data-user-id]');
    const name = row.dataset.name;
    if (!(await confirmAction(fill(text.confirmRemove, { name }), text.removeLabel))) return;
    try {
      await api('DELETE', `${base}/members/${row.dataset.userId}`);
      row.remove();
      announce(fill(text.removed, { name }));
    } catch (error) {
      announce(error.message, 'error');
    }
    return;
  }
  const invite = event.target.closest('[data-invite]');
  if (invite) {
    try {
      const result = await api('PUT', `${base}/invite`, { enabled: invite.dataset.invite === 'on' });
      const url = document.querySelector('[data-invite-url]');
      url.textContent = result.invite_url || '';
      url.hidden = !result.invite_url;
      document.querySelector('[data-invite-off]').hidden = Boolean(result.invite_url);
      document.querySelector('[data-invite="off"]').hidden = !result.invite_url;
      document.querySelector('[data-invite="on"]').textContent = result.invite_url ? text.resetLabel : text.createLabel;
    } catch (error) {
      announce(error.message, 'error');
    }
  }
});

const renameForm = document.getElementById('rename-form');
if (renameForm) {
  renameForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const group = await api('PATCH', base, { name: renameForm.elements.name.value });
      document.querySelector('[data-group-name]').textContent = group.name;
      document.title = `${group.name} · Parley`;
      renameForm.querySelector('[data-form-error]').hidden = true;
      announce(text.renamed);
    } catch (error) {
      showFormErrors(renameForm, error);
    }
  });
}
