// How densely the chat page shows messages: a run of messages from one sender, each within a
// few minutes of the one before on the same day, shows the sender's avatar, name and time once
// (the rest are "continued": their time shows on hover and in its title); long texts fold
// behind "Show more"; a message's actions show on hover or keyboard focus (parley.css) and,
// on a touch screen, after a long press.
//
//   markRuns(list);                               // after any change to the <ol>'s messages
//   main.append(body, ...foldToggle(body, message, text));
//   wireDensity(list);                            // once: Show more / less, long presses

const RUN_GAP_MS = 5 * 60 * 1000; // a longer pause between two messages starts a new run
const FOLD_LINES = 12; // a text of more lines than this folds...
const FOLD_CHARS = 1000; // ...and so does one longer than this (parley.css shows its first lines)
const LONG_PRESS_MS = 500; // a touch held this long on a message opens its actions
const PRESS_SLOP_PX = 10; // a touch that moves further is a scroll, not a press

// Mark each message of the <ol> `list` that continues the run of the message just before it
// (same sender, same day, within RUN_GAP_MS, nothing in between): class "continued".
export function markRuns(list) {
  let previous = null;
  for (const li of list.children) {
    const isMessage = li.classList.contains('message');
    li.classList.toggle('continued', isMessage && previous !== null && continues(previous, li));
    previous = isMessage ? li : null; // a day separator (or anything else) ends the run
  }
}

function continues(previous, li) {
  const sender = li.dataset.senderId; // every message's node has it (blocked.js's markBlocked)
  if (!sender || sender !== previous.dataset.senderId || li.dataset.day !== previous.dataset.day) return false;
  const gap = sentAt(li) - sentAt(previous);
  return gap >= 0 && gap < RUN_GAP_MS;
}

function sentAt(li) {
  const time = li.querySelector('.message-meta time');
  return time ? new Date(time.dateTime).getTime() : NaN;
}

// [the "Show more" button] for the text `body` of `message` when it is long enough to fold
// (which folds it), else []. `text` holds the page's strings showMore and showLess.
export function foldToggle(body, message, text) {
  const words = message.body || '';
  if (words.length <= FOLD_CHARS && words.split('\n').length <= FOLD_LINES) return [];
  body.classList.add('folded');
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'btn btn-small btn-link fold-toggle';
  button.dataset.fold = '';
  button.dataset.more = text.showMore;
  button.dataset.less = text.showLess;
  showFolded(button, body, true);
  return [button];
}

function showFolded(button, body, folded) {
  body.classList.toggle('folded', folded);
  button.textContent = folded ? button.dataset.more : button.dataset.less;
  button.setAttribute('aria-expanded', String(!folded));
}

// Show more / Show less on the <ol> `list`'s long texts, and long presses that open a
// message's actions on a touch screen (a tap elsewhere or Esc closes them).
export function wireDensity(list) {
  list.addEventListener('click', (event) => {
    const button = event.target.closest('[data-fold]');
    if (!button) return;
    const body = button.previousElementSibling;
    showFolded(button, body, !body.classList.contains('folded'));
  });
  wireLongPress(list);
}

function wireLongPress(list) {
  let timer = null;
  let start = null;
  let opened = null; // the message whose actions a press just opened: the touch's click and menu are spent
  const cancel = () => { clearTimeout(timer); timer = null; };
  const close = () => list.querySelectorAll('.message.actions-open').forEach((li) => li.classList.remove('actions-open'));
  list.addEventListener('pointerdown', (event) => {
    cancel();
    opened = null;
    if (event.target.closest('.message-actions')) return; // a tap on an open message's actions
    close();
    const li = event.target.closest('.message[data-message-id]');
    if (!li || event.pointerType !== 'touch' || !li.querySelector('.message-actions')) return;
    start = { x: event.clientX, y: event.clientY };
    timer = setTimeout(() => { timer = null; opened = li; li.classList.add('actions-open'); }, LONG_PRESS_MS);
  });
  list.addEventListener('pointermove', (event) => {
    if (timer && Math.hypot(event.clientX - start.x, event.clientY - start.y) > PRESS_SLOP_PX) cancel();
  });
  ['pointerup', 'pointercancel'].forEach((type) => list.addEventListener(type, cancel));
  list.addEventListener('contextmenu', (event) => { // Chrome on Android opens a menu on a long press
    if (opened && opened.contains(event.target)) event.preventDefault();
  });
  list.addEventListener('click', (event) => { // the lift ending a long press is not a tap on what is under it
    if (!opened || !opened.contains(event.target) || event.target.closest('.message-actions')) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    opened = null;
  }, true);
  document.addEventListener('pointerdown', (event) => { if (!list.contains(event.target)) close(); });
  document.addEventListener('keydown', (event) => { if (event.key === 'Escape') close(); });
}
