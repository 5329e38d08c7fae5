// Reactions on the chat page: the chips under each message ("👍 3", this person's own
// highlighted, who reacted in the chip's title), a click on a chip adding or taking back
// one's own, the React button's emoji picker (#reaction-picker), and the reaction.added and
// reaction.removed events. A change is applied the same way whether it comes from this page's
// own click or from an event, and only once: the echo or a replay of it changes nothing.
//
//   const reactions = new Reactions({ state, text, list, picker });
//   main.append(reactions.chips(message));  // MessageView draws them under each message
//   bar.append(reactions.button());         // and the React button among its actions
//   reactions.wire();
//   reactions.apply(event.data, true);      // reaction.added (false: reaction.removed)

import { api } from '../api.js';
import { fill } from '../ui.js';

const REACTORS_SHOWN = 20; // the people a reaction names (payloads.REACTORS_SHOWN)

export class Reactions {
  // `state` is the page's ChatState, `text` its translated strings, `list` the messages'
  // <ol> (null when no conversation is open), `picker` the emoji picker.
  constructor({ state, text, list, picker }) {
    this.state = state;
    this.text = text;
    this.list = list;
    this.picker = picker;
    this.pickerFor = null; // the id of the message the open picker reacts to
  }

  // The React button of a message's actions.
  button() {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'btn btn-small btn-link';
    button.dataset.react = '';
    button.textContent = this.text.react;
    button.setAttribute('aria-haspopup', 'true');
    return button;
  }

  // The chips of `message` (as the API gives it): hidden when it has no reaction.
  chips(message) {
    const bar = document.createElement('div');
    bar.className = 'reactions';
    bar.dataset.reactions = '';
    for (const reaction of message.reactions || []) bar.append(this.chip(message.id, reaction));
    bar.hidden = !bar.childElementCount;
    return bar;
  }

  chip(messageId, reaction) {
    const chip = document.createElement('button');
    chip.type = 'button';
    chip.className = 'reaction-chip';
    chip.dataset.reaction = reaction.emoji;
    const mine = this.isMine(messageId, reaction);
    chip.classList.toggle('mine', mine);
    chip.setAttribute('aria-pressed', String(mine));
    chip.textContent = `${reaction.emoji} ${reaction.count}`;
    const names = reaction.users.map((user) => user.nickname).join(', ');
    const more = reaction.count - reaction.users.length;
    chip.title = more > 0 ? fill(this.text.reactedMore, { names, n: more })
      : fill(this.text.reactedBy, { names });
    return chip;
  }

  isMine(messageId, reaction) {
    return this.state.reactedWith(messageId, reaction.emoji)
      || reaction.users.some((user) => user.id === this.state.me);
  }

  wire() {
    if (!this.list) return;
    this.list.addEventListener('click', (event) => {
      const chip = event.target.closest('[data-reaction]');
      if (chip) {
        const id = messageIdOf(chip);
        const reaction = this.state.messages.get(id).reactions.find((r) => r.emoji === chip.dataset.reaction);
        this.send(id, chip.dataset.reaction, !(reaction && this.isMine(id, reaction)), chip);
        return;
      }
      const open = event.target.closest('[data-react]');
      if (open) this.openPicker(open);
    });
    this.picker.addEventListener('click', (event) => {
      const choice = event.target.closest('[data-react-emoji]');
      if (!choice) return;
      const id = this.pickerFor;
      this.closePicker();
      this.send(id, choice.dataset.reactEmoji, true);
    });
    document.addEventListener('click', (event) => {
      if (!this.picker.hidden && !this.picker.contains(event.target) && !event.target.closest('[data-react]')) {
        this.closePicker();
      }
    });
    document.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && !this.picker.hidden) this.closePicker();
    });
    this.list.addEventListener('scroll', () => { if (!this.picker.hidden) this.closePicker(); });
  }

  // Open the picker beside the React button `button` (fixed on the page: a message's node is
  // redrawn at times, the picker stays).
  openPicker(button) {
    const id = messageIdOf(button);
    if (!this.picker.hidden && this.pickerFor === id) { this.closePicker(); return; }
    this.pickerFor = id;
    this.picker.hidden = false;
    const box = button.getBoundingClientRect();
    const { offsetWidth: width, offsetHeight: height } = this.picker;
    this.picker.style.left = `${Math.max(8, Math.min(box.left, window.innerWidth - width - 8))}px`;
    this.picker.style.top = `${box.top - height - 4 >= 8 ? box.top - height - 4 : box.bottom + 4}px`;
    button.setAttribute('aria-expanded', 'true');
    const first = this.picker.querySelector('button');
    if (first) first.focus();
  }

  closePicker() {
    this.picker.hidden = true;
    this.pickerFor = null;
    if (!this.list) return;
    this.list.querySelectorAll('[data-react][aria-expanded]').forEach((b) => b.removeAttribute('aria-expanded'));
  }

  // Add (`add`) or take back this person's reaction `emoji` on message `id`.
  async send(id, emoji, add, chip) {
    if (chip) chip.disabled = true;
    try {
      await api(add ? 'POST' : 'DELETE', `/api/v1/messages/${id}/reactions`, { emoji });
      this.apply({ message_id: id, emoji, user: { id: this.state.me, nickname: this.text.myNickname } }, add);
    } catch (error) {
      window.alert(error.message);
    } finally {
      if (chip) chip.disabled = false;
    }
  }

  // `user` ({id, nickname}) added (`added`) or took back `emoji` on message `message_id`: the
  // data of a reaction event. Counts it once: a change already shown is skipped.
  apply({ message_id: id, emoji, user }, added) {
    const me = user.id === this.state.me;
    const message = this.state.messages.get(id);
    const reactions = ((message && message.reactions) || []).map((r) => ({ ...r, users: [...r.users] }));
    let reaction = reactions.find((r) => r.emoji === emoji);
    const at = reaction ? reaction.users.findIndex((person) => person.id === user.id) : -1;
    // Whether this person's own reaction was already counted (null: someone else's).
    const mineBefore = me ? this.state.reactedWith(id, emoji) || at >= 0 : null;
    if (me) this.state.setReacted(id, emoji, added);
    if (!message || message.recalled) return;
    if (added) {
      if (at >= 0 || mineBefore === true) return;
      if (!reaction) { reaction = { emoji, count: 0, users: [] }; reactions.push(reaction); }
      reaction.count += 1;
      if (reaction.users.length < REACTORS_SHOWN) reaction.users.push({ id: user.id, nickname: user.nickname });
    } else {
      if (!reaction || mineBefore === false) return;
      if (at >= 0) reaction.users.splice(at, 1);
      else if (reaction.count <= reaction.users.length) return; // not among them: gone already
      reaction.count -= 1;
      if (reaction.count <= 0) reactions.splice(reactions.indexOf(reaction), 1);
    }
    this.state.update({ ...message, reactions });
    const node = this.list && this.list.querySelector(`[data-message-id="${id}"] [data-reactions]`);
    if (node) node.replaceWith(this.chips({ ...message, reactions }));
  }
}

function messageIdOf(node) { return Number(node.closest('[data-message-id]').dataset.messageId); }
