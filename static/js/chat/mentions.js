// The composer's "@" suggestions. While the caret follows "@" and a query without spaces, a
// list (role=listbox) offers the conversation's other members whose username starts with the
// query, whose nickname contains it, or whose nickname's pinyin initials start with it
// ("@zs" offers 张三); a group's owner gets "@all" first. ↑/↓ move, Enter or Tab inserts
// "@Nickname ", Esc closes, a click inserts too. The ids inserted are remembered for the next
// send, which passes only those whose "@Nickname" is still in its text.
//
//   const picker = new MentionPicker({ box, list, people, canMentionAll, text });
//   picker.wire();
//   if (picker.handleKey(event)) return; // first thing in the composer's keydown
//   const mentioned = picker.take(body); // {mentions: [ids], mention_all}: what to send

const MAX_SHOWN = 8; // suggestions shown at once
// "@" + query just before the caret; the "@" not inside an address (alice@example.org).
const AT_QUERY = /(^|[^A-Za-z0-9._%+-])@([^\s@]{0,32})$/u;

export const NO_MENTIONS = Object.freeze({ mentions: [], mention_all: false });

export class MentionPicker {
  // `box` is the composer's textarea, `list` the suggestions' <ul>; `people` the others here
  // ([{id, nickname, username, initials}]); `canMentionAll` true for a group's owner; `text`
  // the page's translated strings (mentionAllLabel, mentionAllToken: "@all" or "@所有人").
  constructor({ box, list, people, canMentionAll, text }) {
    this.box = box;
    this.list = list;
    this.people = people;
    this.canMentionAll = canMentionAll;
    this.allToken = text.mentionAllToken.replace(/^@/, '');
    this.allLabel = text.mentionAllLabel;
    this.chosen = new Map(); // id -> the nickname inserted
    this.all = false; // "@all" was inserted
    this.options = []; // what the open list offers: [{id (null: all), token, label, detail}]
    this.active = 0;
    this.start = 0; // where the "@" being completed is in the text
  }

  wire() {
    this.box.addEventListener('input', () => this.update());
    this.box.addEventListener('click', () => this.update());
    this.box.addEventListener('blur', () => this.close());
    // Keep the focus in the textarea when an option is clicked.
    this.list.addEventListener('mousedown', (event) => event.preventDefault());
    this.list.addEventListener('click', (event) => {
      const option = event.target.closest('[role="option"]');
      if (option) this.choose(Number(option.dataset.index));
    });
  }

  isOpen() { return !this.list.hidden; }

  // Handle a keydown of the textarea while the list is open; true when it was the list's.
  handleKey(event) {
    if (!this.isOpen() || event.isComposing) return false;
    if (event.key === 'ArrowDown') this.setActive(this.active + 1);
    else if (event.key === 'ArrowUp') this.setActive(this.active - 1);
    else if ((event.key === 'Enter' && !event.shiftKey) || event.key === 'Tab') this.choose(this.active);
    else if (event.key === 'Escape') this.close();
    else return false;
    event.preventDefault();
    return true;
  }

  // Whom the text being sent mentions (ids whose "@Nickname" is still in `body`); the picker
  // forgets them for the next message.
  take(body) {
    const mentions = [...this.chosen].filter(([, name]) => body.includes(`@${name}`)).map(([id]) => id);
    const mentionAll = this.all && body.includes(`@${this.allToken}`);
    this.chosen.clear();
    this.all = false;
    return { mentions, mention_all: mentionAll };
  }

  update() {
    const { value, selectionStart, selectionEnd } = this.box;
    const match = selectionStart === selectionEnd ? AT_QUERY.exec(value.slice(0, selectionStart)) : null;
    if (!match) { this.close(); return; }
    this.start = selectionStart - match[2].length - 1;
    this.options = this.matching(match[2].toLowerCase());
    if (this.options.length) this.show(); else this.close();
  }

  matching(query) {
    const options = this.people
      .filter((p) => !query || p.username.toLowerCase().startsWith(query)
        || p.nickname.toLowerCase().includes(query) || (p.initials || '').startsWith(query))
      .slice(0, MAX_SHOWN)
      .map((p) => ({ id: p.id, token: p.nickname, label: p.nickname, detail: `@${p.username}` }));
    const all = [this.allToken, this.allLabel, 'all'].some((name) => name.toLowerCase().startsWith(query));
    if (this.canMentionAll && all) {
      options.unshift({ id: null, token: this.allToken, label: this.allLabel, detail: `@${this.allToken}` });
    }
    return options;
  }

  show() {
    this.list.replaceChildren(...this.options.map((option, index) => {
      const item = document.createElement('li');
      item.id = `mention-option-${index}`;
      item.setAttribute('role', 'option');
      item.dataset.index = index;
      item.dataset.userId = option.id === null ? 'all' : option.id;
      const name = document.createElement('span');
      name.textContent = option.label;
      const detail = document.createElement('span');
      detail.className = 'muted';
      detail.textContent = option.detail;
      item.append(name, detail);
      return item;
    }));
    this.list.hidden = false;
    this.setActive(0);
  }

  setActive(index) {
    const count = this.options.length;
    this.active = ((index % count) + count) % count;
    this.list.querySelectorAll('[role="option"]').forEach((item, n) => {
      item.setAttribute('aria-selected', String(n === this.active));
      if (n === this.active) item.scrollIntoView({ block: 'nearest' });
    });
    this.box.setAttribute('aria-activedescendant', `mention-option-${this.active}`);
  }

  close() {
    if (this.list.hidden) return;
    this.list.hidden = true;
    this.list.replaceChildren();
    this.options = [];
    this.box.removeAttribute('aria-activedescendant');
  }

  // Put "@Nickname " in place of the "@query" being typed and remember whom it names.
  choose(index) {
    const option = this.options[index];
    if (!option) return;
    this.box.setRangeText(`@${option.token} `, this.start, this.box.selectionStart, 'end');
    if (option.id === null) this.all = true; else this.chosen.set(option.id, option.token);
    this.close();
    this.box.focus();
  }
}
