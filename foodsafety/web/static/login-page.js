// The page at "/": log in, then go to the screens of the user's role.
import {logout} from './api.js';
import {homeFor, loginForm} from './login.js';

const slot = document.getElementById('login');
if (slot) slot.append(loginForm((user) => location.assign(homeFor(user))));
for (const button of document.querySelectorAll('[data-action=logout]')) {
  button.addEventListener('click', logout);
}
