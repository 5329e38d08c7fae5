// The open conversation's pinned bar ([data-pinned]): its pins, newest first, rendered by the
// server and kept live by message.pinned and message.unpinned; collapsed to the newest with a
// count, expanded by the count's button. A pin jumps to its message; × unpins (for those who
// may pin: a group's owner, either person of a direct conversation), as does the Unpin button
// among a message's actions, which reads Pin when it is not pinned.
//
//   const pins = new PinnedBar({ bar, template, list, state, text, view, messages });
//   bar.append(pins.button(message));   // MessageView: Pin or Unpin (null for the others)
//   pins.wire();
//   pins.add(pin); pins.remove(messageId); // message.pinned, message.unpinned
//   pins.update(message);                  // a message changed (edited): its pin's line

import { api } from '../api.js';
import { fill } from '../ui.js';

export class PinnedBar {
  // `bar` is the pinned bar (null when no conversation is open), `template` the <template>
  // of one pin (chat/pins.html), `list` the messages' <ol>; `state`, `text`, `view`,
  // `messages` the page's ChatState, strings, MessageView and MessageList.
  constructor({ bar, template, list, state, text, view, messages }) {
    this.bar = bar;
    this.template = template;
    this.list = list;
    this.state = state;
    this.text = text;
    this.view = view;
    this.messages = messages;
    this.items = bar && bar.querySelector('[data-pin-list]');
    this.canPin = Boolean(bar) && bar.dataset.canPin === 'true';
  }

  isPinned(messageId) { return Boolean(this.items && this.items.querySelector(`[data-pin-id="${messageId}"]`)); }

  // The Pin or Unpin button of `message`'s actions, or null when this person may not pin.
  button(message) {
    if (!this.canPin) return null;
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'btn btn-small btn-link';
    button.dataset.pin = '';
    this.label(button, this.isPinned(message.id));
    return button;
  }

  label(button, pinned) {
    button.textContent = pinned ? this.text.unpin : this.text.pin;
    button.setAttribute('aria-pressed', String(pinned));
  }

  wire() {
    if (!this.bar) return;
    this.bar.addEventListener('click', (event) => {
      const jump = event.target.closest('[data-pin-jump]');
      if (jump) { this.messages.jumpTo(Number(jump.closest('[data-pin-id]').dataset.pinId)); return; }
      const unpin = event.target.closest('[data-unpin]');
      if (unpin) { this.toggle(Number(unpin.closest('[data-pin-id]').dataset.pinId), false, unpin); return; }
      if (event.target.closest('[data-pins-toggle]')) this.expand(!this.bar.classList.contains('expanded'));
    });
    this.list.addEventListener('click', (event) => {
      const button = event.target.closest('[data-pin]');
      if (!button) return;
      const id = Number(button.closest('[data-message-id]').dataset.messageId);
      this.toggle(id, !this.isPinned(id), button);
    });
    this.showCount();
  }

  async toggle(messageId, pin, button) {
    button.disabled = true;
    try {
      if (pin) this.add(await api('POST', `/api/v1/messages/${messageId}/pin`));
      else { await api('DELETE', `/api/v1/messages/${messageId}/pin`); this.remove(messageId); }
    } catch (error) {
      window.alert(error.message);
    } finally {
      button.disabled = false;
    }
  }

  // Show `pin` (as the API gives it) first, unless it is shown already.
  add(pin) {
    if (!this.bar || this.isPinned(pin.message_id)) return;
    const item = this.template.content.firstElementChild.cloneNode(true);
    item.dataset.pinId = pin.message_id;
    item.querySelector('[data-pin-sender]').textContent = pin.message.sender ? pin.message.sender.nickname : '—';
    this.view.showQuoteLine(item.querySelector('[data-pin-snippet]'), pin.message);
    this.items.prepend(item);
    this.showCount();
    this.showButton(pin.message_id, true);
  }

  // `message` (as the API gives it) changed, e.g. edited: its pin, if any, shows it as it is.
  update(message) {
    const item = this.items && this.items.querySelector(`[data-pin-id="${message.id}"]`);
    if (!item) return;
    const quote = this.view.quoteOf(message);
    item.querySelector('[data-pin-sender]').textContent = quote.sender ? quote.sender.nickname : '—';
    this.view.showQuoteLine(item.querySelector('[data-pin-snippet]'), quote);
  }

  remove(messageId) {
    const item = this.items && this.items.querySelector(`[data-pin-id="${messageId}"]`);
    if (!item) return;
    item.remove();
    this.showCount();
    this.showButton(messageId, false);
  }

  showButton(messageId, pinned) {
    const button = this.list && this.list.querySelector(`[data-message-id="${messageId}"] [data-pin]`);
    if (button) this.label(button, pinned);
  }

  expand(on) {
    this.bar.classList.toggle('expanded', on);
    this.bar.querySelector('[data-pins-toggle]').setAttribute('aria-expanded', String(on));
    this.showCount();
  }

  // The bar shows while there are pins; its button counts them (collapsed) or folds them.
  showCount() {
    const count = this.items.childElementCount;
    this.bar.hidden = count === 0;
    const toggle = this.bar.querySelector('[data-pins-toggle]');
    toggle.hidden = count < 2;
    if (count < 2) this.bar.classList.remove('expanded');
    toggle.textContent = this.bar.classList.contains('expanded') ? this.text.pinsFewer
      : fill(this.text.pinsCount, { n: count });
  }
}
