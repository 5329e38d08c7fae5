// The profile's "Notifications" section: allow or turn off Web Push on this device.
// Allowing asks the browser's permission once, subscribes with the site's VAPID key
// (GET /api/v1/push/key) and hands the subscription to the server; turning off does the reverse.
// The service worker (static/js/sw.js, registered by install.js) shows what arrives.
import { api } from './api.js';

const section = document.getElementById('push');
const status = section.querySelector('[data-push-status]');
const enable = section.querySelector('[data-push-enable]');
const disable = section.querySelector('[data-push-disable]');
const supported = 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;

function show(message, subscribed) {
  status.textContent = message;
  enable.hidden = !supported || subscribed || Notification.permission === 'denied';
  disable.hidden = !supported || !subscribed;
}

// applicationServerKey wants bytes; the server gives base64url.
function keyBytes(base64url) {
  const base64 = base64url.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - base64url.length % 4) % 4);
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

async function subscription() {
  const registration = await navigator.serviceWorker.ready;
  return registration.pushManager.getSubscription();
}

async function refresh() {
  if (!supported) { show(status.dataset.msgUnsupported, false); return; }
  if (Notification.permission === 'denied') { show(status.dataset.msgDenied, false); return; }
  const current = await subscription();
  // The browser keeps its subscription across logins, the server only for the login that
  // handed it over: hand it over again, so it is this person's (and this session's) before
  // saying "on" - never the last person's on a shared browser.
  if (current) await api('POST', '/api/v1/push/subscriptions', current.toJSON());
  show(current ? status.dataset.msgOn : status.dataset.msgOff, Boolean(current));
}

async function turnOn() {
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') { await refresh(); return; }
  const { public_key: key } = await api('GET', '/api/v1/push/key');
  const registration = await navigator.serviceWorker.ready;
  let current = await registration.pushManager.getSubscription();
  if (!current) {
    current = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) });
  }
  await refresh(); // hands the subscription to the server
}

async function turnOff() {
  const current = await subscription();
  if (current) {
    await api('DELETE', '/api/v1/push/subscriptions', { endpoint: current.endpoint });
    await current.unsubscribe();
  }
  await refresh();
}

function guarded(action) {
  return () => action().catch((err) => { status.textContent = err.message || document.body.dataset.msgError; });
}

enable.addEventListener('click', guarded(turnOn));
disable.addEventListener('click', guarded(turnOff));
show(supported ? status.dataset.msgOff : status.dataset.msgUnsupported, false);
refresh().catch(() => show(status.dataset.msgOff, false));
