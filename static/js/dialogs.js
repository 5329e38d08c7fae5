// Dialog plumbing shared by pages: [data-open-dialog="<id>"] opens a dialog, [data-close]
// inside it closes it; checkedValues reads the ticked checkboxes of a form as numbers.
import { clearFormErrors } from './ui.js';

export function wireDialogs() {
  document.addEventListener('click', (event) => {
    const opener = event.target.closest('[data-open-dialog]');
    if (opener) {
      const dialog = document.getElementById(opener.dataset.openDialog);
      const form = dialog.querySelector('form');
      if (form) clearFormErrors(form);
      dialog.showModal();
      const first = dialog.querySelector('input, textarea, button[type="submit"]');
      if (first) first.focus();
      return;
    }
    const closer = event.target.closest('dialog [data-close]');
    if (closer) closer.closest('dialog').close();
  });
}

export function checkedValues(form, name) {
  return [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((box) => Number(box.value));
}
