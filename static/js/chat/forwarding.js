// Forwarding messages: Forward on a message starts choosing (that message chosen); while
// choosing, a click on any message adds or removes it, and a bar above the composer says how
// many are chosen, with "Forward…" and Cancel (Esc cancels too). "Forward…" opens a dialog
// listing this person's conversations with checkboxes; the copies go out in one request
// (POST /api/v1/messages/forward), and those meant for the open conversation show at once.
//
//   new Forwarder({ messages, state, bar, dialog, conversationList }).wire();

import { api } from '../api.js';
import { actionText } from './message-marks.js';
import { fill } from '../ui.js';

export class Forwarder {
  // `messages` is the page's MessageList, `state` its ChatState, `bar` the "N chosen" bar
  // ([data-forward-bar]), `dialog` the <dialog> to pick conversations in, `conversationList`
  // the page's list of conversations (#conversation-list: each row's id and name).
  constructor({ messages, state, bar, dialog, conversationList }) {
    this.messages = messages;
    this.state = state;
    this.bar = bar;
    this.dialog = dialog;
    this.conversationList = conversationList;
    this.chosen = new Set(); // ids of the messages to forward
  }

  wire() {
    // Capture: while choosing, a click on a message chooses it instead of acting on it.
    this.messages.list.addEventListener('click', (event) => this.onClick(event), true);
    this.bar.querySelector('[data-forward-open]').addEventListener('click', () => this.open());
    this.bar.querySelector('[data-forward-cancel]').addEventListener('click', () => this.stop());
    document.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && this.chosen.size && !this.dialog.open) this.stop();
    });
    this.dialog.querySelector('form').addEventListener('submit', (event) => this.onSubmit(event));
  }

  onClick(event) {
    const node = event.target.closest('[data-message-id]');
    if (!node) return;
    const id = Number(node.dataset.messageId);
    if (event.target.closest('[data-forward]')) {
      event.stopPropagation();
      this.toggle(id, true);
    } else if (this.chosen.size) {
      event.preventDefault();
      event.stopPropagation();
      this.toggle(id, !this.chosen.has(id));
    }
  }

  // Choose (`on`) or unchoose message `id`.
  toggle(id, on) {
    const message = this.state.messages.get(id);
    if (on && (!message || message.recalled)) return;
    if (on) this.chosen.add(id); else this.chosen.delete(id);
    const node = this.messages.node(id);
    if (node) node.classList.toggle('chosen', on);
    this.messages.list.classList.toggle('choosing', this.chosen.size > 0);
    this.bar.hidden = this.chosen.size === 0;
    this.bar.querySelector('[data-forward-count]').textContent = fill(actionText().forwardChosen, { n: this.chosen.size });
  }

  stop() {
    for (const id of [...this.chosen]) this.toggle(id, false);
  }

  // The dialog, with a checkbox per conversation of the list (none ticked).
  open() {
    const targets = this.dialog.querySelector('[data-forward-targets]');
    targets.replaceChildren();
    for (const row of this.conversationList.querySelectorAll('[data-conversation-id]')) {
      const label = document.createElement('label');
      label.className = 'pick';
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.name = 'conversation';
      box.value = row.dataset.conversationId;
      const name = document.createElement('span');
      name.textContent = row.querySelector('.conversation-name').textContent;
      label.append(box, name);
      targets.append(label);
    }
    this.dialog.querySelector('[data-forward-error]').hidden = true;
    this.dialog.showModal();
  }

  async onSubmit(event) {
    if (event.submitter && event.submitter.value === 'cancel') return; // the dialog closes itself
    event.preventDefault();
    const error = this.dialog.querySelector('[data-forward-error]');
    const ids = [...this.dialog.querySelectorAll('[name="conversation"]:checked')].map((box) => Number(box.value));
    if (!ids.length) {
      error.textContent = actionText().forwardNoTarget;
      error.hidden = false;
      return;
    }
    const send = this.dialog.querySelector('[data-forward-send]');
    send.disabled = true;
    try {
      const { items } = await api('POST', '/api/v1/messages/forward',
        { message_ids: [...this.chosen], conversation_ids: ids });
      for (const copy of items) {
        if (copy.conversation_id === this.state.conversationId) this.messages.add(copy);
      }
      this.dialog.close();
      this.stop();
    } catch (failure) {
      error.textContent = failure.message;
      error.hidden = false;
    } finally {
      send.disabled = false;
    }
  }
}
