// notify.js: the attention signals: a short Web Audio beep and the "(3) handoffd" title badge.
// Browsers only let audio start after a user gesture, so the AudioContext is created on the
// first click or key press (unlockAudio) and a beep before that is silently skipped.

const MUTE_KEY = 'handoffd.muted';
const BASE_TITLE = 'handoffd';
let audio = null;
let lastBeep = 0;

export function isMuted() {
  try {
    return localStorage.getItem(MUTE_KEY) === '1';
  } catch {
    return false;
  }
}

export function setMuted(muted) {
  try {
    localStorage.setItem(MUTE_KEY, muted ? '1' : '0');
  } catch {
    // Not persisted; fine.
  }
}

/** Creates or resumes the AudioContext; call from a user gesture. */
export function unlockAudio() {
  const Ctor = window.AudioContext || window.webkitAudioContext;
  if (!Ctor) return;
  try {
    if (!audio) audio = new Ctor();
    if (audio.state === 'suspended') audio.resume().catch(() => {});
  } catch {
    audio = null;
  }
}

/** Listens for the first gestures and unlocks audio on them. */
export function unlockAudioOnGesture() {
  const handler = () => {
    unlockAudio();
    if (audio && audio.state === 'running') {
      window.removeEventListener('pointerdown', handler, true);
      window.removeEventListener('keydown', handler, true);
    }
  };
  window.addEventListener('pointerdown', handler, true);
  window.addEventListener('keydown', handler, true);
}

/** Two short rising tones (~0.25 s). At most one beep per second. */
export function beep() {
  if (isMuted() || !audio || audio.state !== 'running') return;
  const t0 = audio.currentTime;
  if (Date.now() - lastBeep < 1000) return;
  lastBeep = Date.now();
  const tone = (freq, start, length) => {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.type = 'sine';
    osc.frequency.setValueAtTime(freq, start);
    gain.gain.setValueAtTime(0.0001, start);
    gain.gain.exponentialRampToValueAtTime(0.18, start + 0.015);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + length);
    osc.connect(gain).connect(audio.destination);
    osc.start(start);
    osc.stop(start + length + 0.02);
  };
  tone(880, t0, 0.11);
  tone(1320, t0 + 0.13, 0.13);
}

/** "(3) handoffd" while something is unread, "handoffd" otherwise. */
export function setTitleCount(n) {
  document.title = n > 0 ? `(${n}) ${BASE_TITLE}` : BASE_TITLE;
}

// --- desktop notifications (#11) ------------------------------------------------------------
// Permission is asked from a button (a user gesture, as browsers require); the controller
// notifies for a new waiting customer and a customer message in a chat that is not in view.
// Clicking a notification brings the tab forward.

/** 'unsupported' | 'default' | 'granted' | 'denied' */
export function notificationPermission() {
  return typeof window.Notification === 'function' ? window.Notification.permission : 'unsupported';
}

/** Asks for permission; call from a click. Resolves to the permission. */
export async function requestNotifications() {
  if (typeof window.Notification !== 'function') return 'unsupported';
  try {
    return await window.Notification.requestPermission();
  } catch {
    return window.Notification.permission;
  }
}

/** Shows a desktop notification when allowed (and the sound is not muted). */
export function notifyDesktop(title, body, tag) {
  if (isMuted() || notificationPermission() !== 'granted') return null;
  try {
    const n = new window.Notification(title, { body, tag });
    n.onclick = () => {
      window.focus();
      n.close();
    };
    return n;
  } catch {
    return null; // e.g. Android Chrome needs a service worker: the sound and badge remain
  }
}
