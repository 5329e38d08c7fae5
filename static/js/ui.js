// Shared page behaviour: confirmation dialogs, row menus (right-click and button),
// list filters, and status messages.

export function confirmAction(message, confirmLabel) {
  const dialog = document.getElementById('confirm-dialog');
  dialog.querySelector('[data-confirm-message]').textContent = message;
  const ok = dialog.querySelector('[data-confirm-ok]');
  ok.textContent = confirmLabel || ok.dataset.defaultLabel;
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
    dialog.returnValue = '';
    dialog.showModal();
    ok.focus();
  });
}

export function announce(message, kind = 'success') {
  const box = document.getElementById('live-status');
  const p = document.createElement('p');
  p.className = `flash flash-${kind}`;
  p.textContent = message;
  box.replaceChildren(p);
}

// A menu opened by right-click on a row, or by the row's menu button (touch, keyboard).
// Rows carry data-menu="<menu id>"; menu items are buttons with data-action. Choosing an
// item calls onAction(action, row).
export function rowMenus(onAction) {
  let open = null;
  const close = () => {
    if (!open) return;
    open.menu.hidden = true;
    if (open.button) open.button.setAttribute('aria-expanded', 'false');
    open = null;
  };
  const show = (row, x, y, button) => {
    close();
    const menu = document.getElementById(row.dataset.menu);
    menu.hidden = false;
    const width = menu.offsetWidth;
    const height = menu.offsetHeight;
    menu.style.left = `${Math.min(x, window.innerWidth - width - 8) + window.scrollX}px`;
    menu.style.top = `${Math.min(y, window.innerHeight - height - 8) + window.scrollY}px`;
    open = { menu, row, button };
    if (button) button.setAttribute('aria-expanded', 'true');
    const first = menu.querySelector('button');
    if (first) first.focus();
  };
  document.addEventListener('contextmenu', (event) => {
    const row = event.target.closest('[data-menu]');
    if (!row) return;
    event.preventDefault();
    show(row, event.clientX, event.clientY, null);
  });
  document.addEventListener('click', (event) => {
    const button = event.target.closest('[data-menu-button]');
    if (button) {
      const rect = button.getBoundingClientRect();
      show(button.closest('[data-menu]'), rect.left, rect.bottom + 4, button);
      event.stopPropagation();
      return;
    }
    const item = event.target.closest('[role="menu"] [data-action]');
    if (item && open) {
      const { row } = open;
      close();
      onAction(item.dataset.action, row);
      return;
    }
    if (!event.target.closest('[role="menu"]')) close();
  });
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') close();
  });
  window.addEventListener('scroll', close, { passive: true });
}

// Hide the rows of `list` whose data-filter text does not contain what is typed in `input`.
export function filterList(input, list) {
  const empty = list.parentElement.querySelector('[data-filter-empty]');
  input.addEventListener('input', () => {
    const needle = input.value.trim().toLocaleLowerCase();
    let shown = 0;
    for (const row of list.querySelectorAll('[data-filter]')) {
      const match = !needle || row.dataset.filter.toLocaleLowerCase().includes(needle);
      row.hidden = !match;
      if (match) shown += 1;
    }
    if (empty) empty.hidden = shown > 0;
  });
}

// Show an ApiError's messages in `form`: beside each named field, or at the top.
export function showFormErrors(form, error) {
  clearFormErrors(form);
  const top = form.querySelector('[data-form-error]');
  const fields = Object.entries(error.errors || {});
  let placed = false;
  for (const [name, messages] of fields) {
    const input = form.elements.namedItem(name);
    if (!input || !input.closest) continue;
    const p = document.createElement('p');
    p.className = 'error';
    p.dataset.fieldError = name;
    p.textContent = Array.isArray(messages) ? messages.join(' ') : String(messages);
    input.setAttribute('aria-invalid', 'true');
    input.closest('.field').append(p);
    placed = true;
  }
  if (!placed && top) {
    top.textContent = error.message;
    top.hidden = false;
  }
}

export function clearFormErrors(form) {
  form.querySelectorAll('[data-field-error]').forEach((p) => p.remove());
  form.querySelectorAll('[aria-invalid]').forEach((el) => el.removeAttribute('aria-invalid'));
  const top = form.querySelector('[data-form-error]');
  if (top) { top.hidden = true; top.textContent = ''; }
}

// The translated `template` with each {key} replaced by values[key], in one pass: a name that
// holds "$&" or "{reason}" stays as typed (String.replace with a string would read either).
export function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (whole, key) => (key in values ? String(values[key]) : whole));
}
