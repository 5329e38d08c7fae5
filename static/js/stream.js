// The event stream client every page shares: EventSource with a cursor, and a long-polling
// fallback for proxies that buffer or cut streams. The cursor (the last event id applied)
// only grows, so no switch between the two ever loses or doubles an event. While the server
// cannot be reached (down behind a proxy that answers 502/503 at once, or offline), it asks
// again after a growing, jittered wait (and never before a Retry-After), showing 'offline'.
//
//   const stream = new EventStream({ cursor, heartbeat, pollTimeout, forcePoll, tab,
//                                    onEvent(event), onEphemeral(type, data), onReset(), onStatus(mode),
//                                    viewing() /* the conversation id the page views, or null */ });
//   stream.start();

const HELLO_WAIT_MS = 4000; // no `hello` this soon after connecting: the stream is buffered
const SSE_RETRY_MS = 60000; // while polling, try the stream again this often
// A 502/504 this long after asking ends a poll the server was holding, cut by a proxy's read
// timeout: ask again at once. One sooner (a proxy with no server behind it answers in
// milliseconds) is a failure to reach the server, and waits like any other.
const CUT_AFTER_MS = 3000;
const BACKOFF_FIRST_MS = 1000; // the first wait after a failure is 0.5-1 s, then each doubles...
const BACKOFF_MAX_MS = 30000; // ...up to 15-30 s
const RETRY_AFTER_MAX_MS = 300000; // a longer Retry-After is taken as 5 minutes

export class EventStream {
  constructor(options) {
    this.cursor = Number(options.cursor) || 0;
    this.heartbeatMs = (options.heartbeat || 15) * 1000;
    this.pollTimeout = options.pollTimeout || 25;
    this.forcePoll = Boolean(options.forcePoll);
    this.tab = options.tab || ''; // the page's id for its stream (chat/reading.js)
    this.handlers = options;
    this.source = null;
    this.polling = false;
    this.pollRuns = 0; // a loop whose run is not the latest stops (polling stopped and started again)
    this.backoff = new Backoff();
    this.timers = {};
  }

  start() {
    if (this.forcePoll || typeof EventSource === 'undefined') this.startPolling();
    else this.openStream();
    window.addEventListener('online', () => { if (!this.source && !this.polling) this.openStream(); });
  }

  status(mode) { if (this.handlers.onStatus) this.handlers.onStatus(mode); }

  apply(event) {
    if (event.id <= this.cursor) return; // already applied (replay, a second source)
    this.cursor = event.id;
    this.handlers.onEvent(event);
  }

  // -- Server-Sent Events --------------------------------------------------------------------
  openStream() {
    this.closeStream();
    const tab = this.tab ? `&tab=${encodeURIComponent(this.tab)}` : '';
    const source = new EventSource(`/events?last_event_id=${this.cursor}${tab}`);
    this.source = source;
    let greeted = false;
    this.arm('hello', HELLO_WAIT_MS, () => { if (!greeted) this.fallBack(); });
    const alive = () => this.arm('alive', this.heartbeatMs * 2, () => this.fallBack());
    source.addEventListener('hello', () => {
      greeted = true;
      this.disarm('hello');
      alive();
      this.stopPolling();
      this.backoff.reset();
      this.status('live');
    });
    source.addEventListener('ping', alive);
    source.addEventListener('message', (message) => {
      alive();
      this.apply(JSON.parse(message.data));
    });
    for (const type of ['typing', 'presence']) {
      source.addEventListener(type, (message) => {
        alive();
        if (this.handlers.onEphemeral) this.handlers.onEphemeral(type, JSON.parse(message.data));
      });
    }
    source.addEventListener('reset', () => { this.closeStream(); this.handlers.onReset(); });
    source.addEventListener('error', () => {
      if (source.readyState === EventSource.CLOSED) {
        // An error status (a 401, a proxy's 502/503): the browser gives up. Log in, or poll.
        this.closeStream();
        this.checkLogin().then(() => this.fallBack(true));
      } else if (greeted) {
        // A live stream ended: the browser reconnects once by itself, with Last-Event-ID.
        greeted = false;
        this.status('offline');
      } else {
        // It could not (re)connect: the browser would retry every few seconds, never backing
        // off, so poll instead (backing off) and try the stream again later.
        this.fallBack(true);
      }
    });
  }

  closeStream() {
    this.disarm('hello');
    this.disarm('alive');
    if (this.source) { this.source.close(); this.source = null; }
  }

  // Poll instead of streaming; `failed`: the stream could not reach the server, which counts
  // as a failure when it was the page's only way of hearing it (not while polling already).
  fallBack(failed = false) {
    this.closeStream();
    if (failed && !this.polling) this.backoff.fail();
    this.startPolling();
    this.arm('retrySse', SSE_RETRY_MS, () => { if (this.polling && !this.forcePoll) this.openStream(); });
  }

  // -- long-polling ----------------------------------------------------------------------------
  startPolling() {
    if (this.polling) return;
    this.polling = true;
    this.status(this.backoff.failures ? 'offline' : 'polling');
    this.pollLoop(++this.pollRuns);
  }

  stopPolling() {
    this.polling = false;
    this.disarm('retrySse');
  }

  async pollLoop(run) {
    while (this.polling && run === this.pollRuns) {
      // After a failure, ask without waiting: the first answer tells that the server is back.
      const timeout = this.backoff.failures ? 0 : this.pollTimeout;
      const asked = Date.now();
      let response;
      try {
        // The page's tab and the conversation it views, if any (chat/reading.js): what this
        // poll brings of that conversation is read.
        const view = this.handlers.viewing ? this.handlers.viewing() : null;
        const viewing = this.tab && view ? `&tab=${encodeURIComponent(this.tab)}&view=${view}` : '';
        response = await fetch(`/events/poll?after=${this.cursor}&timeout=${timeout}${viewing}`,
          { credentials: 'same-origin', headers: { Accept: 'application/json' }, cache: 'no-store' });
      } catch (err) {
        await this.failed(null); // offline or cut off: retry with the same cursor
        continue;
      }
      if (response.status === 401) { window.location.assign(loginUrl()); return; }
      if (response.status === 409) { this.polling = false; this.handlers.onReset(); return; }
      if (!response.ok) {
        const cut = [502, 504].includes(response.status) && Date.now() - asked >= CUT_AFTER_MS;
        if (!cut || response.headers.has('Retry-After')) await this.failed(response);
        continue;
      }
      const body = await response.json();
      this.backoff.reset();
      if (this.polling) this.status('polling');
      for (const event of body.events) this.apply(event);
      for (const item of body.ephemeral || []) {
        if (this.handlers.onEphemeral) this.handlers.onEphemeral(item.type, item.data);
      }
    }
  }

  // The server could not be reached (`response`: its error answer, or null): say so, and wait.
  async failed(response) {
    const wait = this.backoff.fail(response);
    this.status('offline');
    await sleep(wait);
  }

  // -- helpers -----------------------------------------------------------------------------------
  async checkLogin() {
    try {
      const response = await fetch('/api/v1/me', { credentials: 'same-origin', headers: { Accept: 'application/json' } });
      if (response.status === 401) window.location.assign(loginUrl());
    } catch (err) { /* offline: the fallback retries */ }
  }

  arm(name, ms, fn) { this.disarm(name); this.timers[name] = window.setTimeout(fn, ms); }

  disarm(name) { if (this.timers[name]) { window.clearTimeout(this.timers[name]); delete this.timers[name]; } }
}

// Waits between failed attempts: doubling from BACKOFF_FIRST_MS to BACKOFF_MAX_MS, each spread
// over its upper half so the tabs that lost the same server do not all come back in step, and
// never shorter than the failed answer's Retry-After.
class Backoff {
  constructor() { this.failures = 0; }

  reset() { this.failures = 0; }

  // Count one more failure (`response`: the failed answer, if any); returns milliseconds to wait.
  fail(response) {
    this.failures += 1;
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** Math.min(this.failures - 1, 10));
    return Math.max(ceiling / 2 + Math.random() * (ceiling / 2), retryAfterMs(response));
  }
}

// A response's Retry-After (RFC 9110: seconds, or an HTTP date) in milliseconds; 0 without one.
function retryAfterMs(response) {
  const value = response ? (response.headers.get('Retry-After') || '').trim() : '';
  if (!value) return 0;
  const ms = /^\d+$/.test(value) ? Number(value) * 1000 : Date.parse(value) - Date.now();
  return ms > 0 ? Math.min(ms, RETRY_AFTER_MAX_MS) : 0;
}

function sleep(ms) { return new Promise((resolve) => { window.setTimeout(resolve, ms); }); }

function loginUrl() {
  return `/login?next=${encodeURIComponent(window.location.pathname)}`;
}
