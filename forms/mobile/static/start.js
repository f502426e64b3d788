// The phone's first script: the login form shows as soon as its three small modules have arrived,
// while the rest of the app downloads behind it (on slow 3G that is seconds sooner); then app.js
// takes over, without asking the server again who has just logged in.
import {session} from '/static/web/api.js';
import {clear, h} from '/static/web/dom.js';
import {loginForm} from '/static/web/login.js';

const app = import('./app.js');

if (session()?.user) {
  app.then((module) => module.boot());
} else {
  clear(document.getElementById('app'), h('section', {class: 'card'},
    h('h1', {}, '执法人员登录'),
    loginForm(async (user) => (await app).boot(user))));
}
