// views/login.js: the sign-in page. Its markup is static in index.html (so it shows even before
// the scripts run); this module wires it to POST /api/auth/login.

import * as api from '../api.js';

export class LoginView {
  /** onSignedIn(agent) runs after a successful login. */
  constructor({ onSignedIn }) {
    this.root = document.getElementById('login-view');
    this.form = this.root.querySelector('form');
    this.email = this.root.querySelector('[data-testid="login-email"]');
    this.password = this.root.querySelector('[data-testid="login-password"]');
    this.submit = this.root.querySelector('[data-testid="login-submit"]');
    this.error = this.root.querySelector('#login-error');
    this.message = this.root.querySelector('#login-message');
    this.onSignedIn = onSignedIn;
    this.form.addEventListener('submit', (event) => this.handleSubmit(event));
  }

  async handleSubmit(event) {
    event.preventDefault();
    const email = this.email.value.trim();
    const password = this.password.value;
    if (!email || !password) {
      this.showError(!email ? 'Enter your email address.' : 'Enter your password.');
      (!email ? this.email : this.password).focus();
      return;
    }
    this.setBusy(true);
    this.showError('');
    try {
      const res = await api.login(email, password);
      this.password.value = '';
      this.onSignedIn(res.agent);
    } catch (err) {
      this.showError(err.status === 401 ? 'Wrong email or password.' : err.message);
      this.password.select();
      this.password.focus();
    } finally {
      this.setBusy(false);
    }
  }

  setBusy(busy) {
    this.submit.disabled = busy;
    this.submit.textContent = busy ? 'Signing in…' : 'Sign in';
    this.form.setAttribute('aria-busy', busy ? 'true' : 'false');
  }

  showError(text) {
    this.error.textContent = text;
    this.email.setAttribute('aria-invalid', text ? 'true' : 'false');
    this.password.setAttribute('aria-invalid', text ? 'true' : 'false');
  }

  /** Shows the page, optionally with a notice such as "Your session expired". */
  show(notice = '') {
    this.message.textContent = notice;
    this.message.hidden = !notice;
    this.showError('');
    this.root.hidden = false;
    document.getElementById('app').hidden = true;
    (this.email.value ? this.password : this.email).focus();
  }

  hide() {
    this.root.hidden = true;
  }
}
