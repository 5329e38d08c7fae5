// Parley's service worker. /sw.js serves this file after one line that sets self.PARLEY:
// { version: a hash of the shell's files, shell: [URLs], offline: '/offline', icon: URL }.
//
// - install: precache the app shell (stylesheet, scripts, icons, the offline page) in a cache
//   named after the version, so a deploy that changes any of them installs a new worker;
// - activate: delete the caches of older versions;
// - fetch: a navigation goes to the network, and only when that fails is the offline page
//   shown; a shell file is fetched too, the cached copy serving only offline. Nothing else is
//   touched or stored: no API answer, no event stream, no page with anyone's data.
// - push: show the notification the server sent, unless a Parley window is focused;
//   notificationclick: focus a Parley window on the conversation, or open one.
const { version, shell, offline, icon } = self.PARLEY;
const CACHE = `parley-shell-${version}`;
const SHELL = new Set(shell);

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(shell)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((name) => name.startsWith('parley-shell-') && name !== CACHE)
      .map((name) => caches.delete(name)));
    if (self.registration.navigationPreload) await self.registration.navigationPreload.enable();
    await self.clients.claim();
  })());
});

async function navigate(event) {
  try {
    const preloaded = await event.preloadResponse;
    return preloaded || await fetch(event.request);
  } catch (err) {
    const cache = await caches.open(CACHE);
    return (await cache.match(offline)) || Response.error();
  }
}

async function shellFile(request) {
  try {
    return await fetch(request);
  } catch (err) {
    const cache = await caches.open(CACHE);
    return (await cache.match(request, { ignoreSearch: true })) || Response.error();
  }
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === 'navigate') {
    event.respondWith(navigate(event));
  } else if (SHELL.has(url.pathname)) {
    event.respondWith(shellFile(request));
  }
});

async function parleyFocused() {
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  return windows.some((client) => client.focused && client.visibilityState === 'visible');
}

self.addEventListener('push', (event) => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch (err) { data = {}; }
  event.waitUntil((async () => {
    // The open page already shows the message (and its own in-page notice).
    if (await parleyFocused()) return;
    await self.registration.showNotification(data.title || 'Parley', {
      body: data.body || '', tag: data.tag, renotify: Boolean(data.tag),
      icon, badge: icon,
      data: { url: data.url || '/chat' },
    });
  })());
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const target = new URL(event.notification.data.url, self.location.origin).href;
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    const open = windows.find((client) => new URL(client.url).origin === self.location.origin);
    if (open) {
      try {
        // navigate() works on windows this worker controls; any other gets a new window.
        const focused = await open.focus();
        return await focused.navigate(target);
      } catch (err) { /* falls through to a new window */ }
    }
    return self.clients.openWindow(target);
  })());
});
