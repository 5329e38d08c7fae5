// The notifications page: accept or reject a received friend request in place.
import { api } from './api.js';
import { announce } from './ui.js';

const text = document.getElementById('request-messages').dataset;

function updateBadge() {
  const badge = document.querySelector('[data-pending-count]');
  if (!badge) return;
  const left = document.querySelectorAll('[data-requests="received"] [data-status="pending"]').length;
  if (left) badge.textContent = left; else badge.remove();
}

document.addEventListener('click', async (event) => {
  const button = event.target.closest('[data-answer]');
  if (!button) return;
  const row = button.closest('[data-request-id]');
  const answer = button.dataset.answer;
  row.querySelectorAll('[data-answer]').forEach((b) => { b.disabled = true; });
  try {
    const result = await api('POST', `/api/v1/friend-requests/${row.dataset.requestId}/${answer}`);
    row.dataset.status = result.status;
    const label = row.querySelector('[data-status-label]');
    label.textContent = text[result.status];
    label.className = `status status-${result.status}`;
    row.querySelectorAll('[data-answer]').forEach((b) => b.remove());
    updateBadge();
    announce(answer === 'accept' ? text.acceptDone : text.rejectDone);
  } catch (error) {
    row.querySelectorAll('[data-answer]').forEach((b) => { b.disabled = false; });
    announce(error.message, 'error');
    if (error.status === 409) window.setTimeout(() => window.location.reload(), 1500);
  }
});
