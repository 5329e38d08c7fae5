// "Zhang San is online": a short notice that fades, when a friend comes online while this
// page's stream is open. At most once per friend every NOTICE_EVERY_MS, remembered for the
// tab in sessionStorage (a reload, or the friend reconnecting, does not repeat it); none when
// the person turned notices off on their profile, nor for someone they blocked.
//
//   const notices = new OnlineNotices(document.getElementById('online-notices'), { quiet: (id) => false });
//   notices.presence(data);        // an ephemeral `presence` frame: {user_id, online}
//   notices.befriended(user);       // a user brief: a new friend
//   notices.unfriended(userId);
//   notices.renamed(user);          // a user brief with a new nickname

import { fill } from './ui.js';

const NOTICE_EVERY_MS = 5 * 60 * 1000; // a friend's notice repeats at most this often
const NOTICE_SHOWN_MS = 5000; // then it fades out (parley.css, .toast)
const STORE_KEY = 'parley.onlineNoticed'; // {user id: when last told, ms since the epoch}

export class OnlineNotices {
  // `settings` is the page's <template id="online-notices">: data-settings {enabled,
  // friends: {id: nickname}}, data-text "{name} is online" (translated).
  constructor(settings, { quiet = () => false } = {}) {
    const { enabled, friends } = JSON.parse(settings.dataset.settings);
    this.enabled = enabled;
    this.friends = new Map(Object.entries(friends).map(([id, name]) => [Number(id), name]));
    this.text = settings.dataset.text;
    this.quiet = quiet;
    this.fallback = {}; // what was told, when sessionStorage is blocked
    // A live region exists before anything is put in it, or screen readers may not read it.
    this.box = document.createElement('div');
    this.box.className = 'toasts';
    this.box.setAttribute('role', 'status');
    this.box.setAttribute('aria-live', 'polite');
    document.body.append(this.box);
  }

  presence({ user_id: userId, online }) {
    if (!online || !this.enabled || !this.friends.has(userId) || this.quiet(userId)) return;
    const told = this.told();
    const now = Date.now();
    if (now - (told[userId] || 0) < NOTICE_EVERY_MS) return;
    told[userId] = now;
    this.remember(told, now);
    const name = this.friends.get(userId);
    this.show(fill(this.text, { name }));
  }

  befriended(user) { this.friends.set(user.id, user.nickname); }

  unfriended(userId) { this.friends.delete(userId); }

  renamed(user) { if (this.friends.has(user.id)) this.friends.set(user.id, user.nickname); }

  show(message) {
    const toast = document.createElement('p');
    toast.className = 'toast';
    toast.dataset.testid = 'online-notice';
    toast.textContent = message;
    this.box.append(toast);
    window.setTimeout(() => toast.remove(), NOTICE_SHOWN_MS);
  }

  told() {
    try {
      return JSON.parse(window.sessionStorage.getItem(STORE_KEY)) || {};
    } catch (error) {
      return this.fallback; // storage blocked or garbled: this page remembers
    }
  }

  // Only the entries still within the window are kept, so the record stays small.
  remember(told, now) {
    const kept = Object.fromEntries(Object.entries(told).filter(([, at]) => now - at < NOTICE_EVERY_MS));
    this.fallback = kept;
    try {
      window.sessionStorage.setItem(STORE_KEY, JSON.stringify(kept));
    } catch (error) {
      // storage full or blocked: the fallback remembers for this page
    }
  }
}
