// The groups page: filter, create-group dialog, and the quit-group row menu.
import { api } from './api.js';
import { checkedValues, wireDialogs } from './dialogs.js';
import { announce, confirmAction, fill, filterList, rowMenus, showFormErrors } from './ui.js';

const text = document.getElementById('group-messages').dataset;
const list = document.getElementById('group-list');
const filter = document.getElementById('group-filter');
if (filter) filterList(filter, list);
wireDialogs();

const form = document.getElementById('create-group-form');
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const submit = form.querySelector('[type="submit"]');
  submit.disabled = true;
  try {
    const group = await api('POST', '/api/v1/groups', {
      name: form.elements.name.value,
      member_ids: checkedValues(form, 'member'),
    });
    window.location.assign(`/groups/${group.id}`);
  } catch (error) {
    showFormErrors(form, error);
    submit.disabled = false;
  }
});

rowMenus(async (action, row) => {
  if (action === 'open-group') {
    window.location.assign(`/groups/${row.dataset.groupId}`);
    return;
  }
  if (action !== 'quit-group') return;
  const name = row.dataset.name;
  if (!(await confirmAction(fill(text.confirmQuit, { name }), text.quitLabel))) return;
  try {
    await api('POST', `/api/v1/groups/${row.dataset.groupId}/quit`);
    row.remove();
    document.querySelector('[data-group-count]').textContent = list.querySelectorAll('[data-group-id]').length;
    announce(fill(text.quitDone, { name }));
  } catch (error) {
    announce(error.message, 'error');
  }
});
