// boot.js: runs before the page paints (a classic script, so the CSP's script-src 'self' allows
// it). While app.js checks for an existing login, the sign-in form is hidden to avoid a flash;
// not for file:// previews, where the modules cannot load, and for 3 s at most in any case.
(function () {
  if (location.protocol === 'file:') return;
  var root = document.documentElement;
  root.classList.add('booting');
  setTimeout(function () { root.classList.remove('booting'); }, 3000);
})();
