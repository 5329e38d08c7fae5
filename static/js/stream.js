// The event stream client every page shares: EventSource with a cursor, and a long-polling
// fallback for proxies that buffer or cut streams. The cursor (the last event id applied)
// only grows, so no switch between the two ever loses or doubles an event.
//
//   const stream = new EventStream({ cursor, heartbeat, pollTimeout, forcePoll,
//                                    onEvent(event), onEphemeral(type, data), onReset(), onStatus(mode) });
//   stream.start();

const HELLO_WAIT_MS = 4000; // no `hello` this soon after connecting: the stream is buffered
const SSE_RETRY_MS = 60000; // while polling, try the stream again this often

export class EventStream {
  constructor(options) {
    this.cursor = Number(options.cursor) || 0;
    this.heartbeatMs = (options.heartbeat || 15) * 1000;
    this.pollTimeout = options.pollTimeout || 25;
    this.forcePoll = Boolean(options.forcePoll);
    this.handlers = options;
    this.source = null;
    this.polling = false;
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
    const source = new EventSource(`/events?last_event_id=${this.cursor}`);
    this.source = source;
    let greeted = false;
    this.arm('hello', HELLO_WAIT_MS, () => { if (!greeted) this.fallBack(); });
    const alive = () => this.arm('alive', this.heartbeatMs * 2, () => this.fallBack());
    source.addEventListener('hello', () => {
      greeted = true;
      alive();
      this.stopPolling();
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
      // The browser reconnects by itself (with Last-Event-ID); a 401 it cannot: find out.
      if (source.readyState === EventSource.CLOSED) this.checkLogin().then(() => this.fallBack());
      else this.status('offline');
    });
  }

  closeStream() {
    this.disarm('hello');
    this.disarm('alive');
    if (this.source) { this.source.close(); this.source = null; }
  }

  fallBack() {
    this.closeStream();
    this.startPolling();
    this.arm('retrySse', SSE_RETRY_MS, () => { if (this.polling && !this.forcePoll) this.openStream(); });
  }

  // -- long-polling ----------------------------------------------------------------------------
  startPolling() {
    if (this.polling) return;
    this.polling = true;
    this.status('polling');
    this.pollLoop();
  }

  stopPolling() {
    this.polling = false;
    this.disarm('retrySse');
  }

  async pollLoop() {
    let failures = 0;
    while (this.polling) {
      let response;
      try {
        response = await fetch(`/events/poll?after=${this.cursor}&timeout=${this.pollTimeout}`,
          { credentials: 'same-origin', headers: { Accept: 'application/json' }, cache: 'no-store' });
      } catch (err) {
        failures += 1; // offline or cut off: retry with the same cursor
        this.status('offline');
        await sleep(Math.min(1000 * failures, 5000));
        continue;
      }
      if (response.status === 401) { window.location.assign(loginUrl()); return; }
      if (response.status === 409) { this.polling = false; this.handlers.onReset(); return; }
      if (!response.ok) {
        // 502/504: a proxy gave up on an idle poll; ask again at once with the same cursor.
        // 503: the server is overloaded; wait as long as its Retry-After (seconds) asks.
        failures = [502, 503, 504].includes(response.status) ? 0 : failures + 1;
        const retryAfter = Number(response.headers.get('Retry-After')) || 0;
        if (retryAfter > 0) await sleep(Math.min(retryAfter, 60) * 1000);
        else if (failures) await sleep(Math.min(1000 * failures, 5000));
        continue;
      }
      failures = 0;
      const body = await response.json();
      if (this.polling) this.status('polling');
      for (const event of body.events) this.apply(event);
      for (const item of body.ephemeral || []) {
        if (this.handlers.onEphemeral) this.handlers.onEphemeral(item.type, item.data);
      }
    }
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

function sleep(ms) { return new Promise((resolve) => { window.setTimeout(resolve, ms); }); }

function loginUrl() {
  return `/login?next=${encodeURIComponent(window.location.pathname)}`;
}
