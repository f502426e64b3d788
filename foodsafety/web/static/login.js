// The login form, shared by the login page and the inspector app.
import {NetworkError, flattenErrors, messageOf, request, saveSession} from './api.js';
import {errorList, h} from './dom.js';

export function homeFor(user) {
  return {inspector: '/m/', school: '/school/', bureau: '/stats/', admin: '/stats/'}[user.role] || '/';
}

export function loginForm(onDone) {
  const username = h('input', {id: 'username', name: 'username', type: 'text', autocomplete: 'username', required: true, autocapitalize: 'off'});
  const password = h('input', {id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true});
  const problems = h('div', {role: 'alert'});
  const button = h('button', {class: 'btn block', type: 'submit'}, '登录');
  const form = h('form', {class: 'login', novalidate: true},
    h('label', {for: 'username'}, '用户名'), username,
    h('label', {for: 'password'}, '密码'), password,
    problems, button);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    button.disabled = true;
    problems.replaceChildren();
    try {
      const answer = await request('/api/v1/auth/login', {
        method: 'POST', json: {username: username.value.trim(), password: password.value},
      });
      if (answer.ok) {
        saveSession(answer.data);
        onDone(answer.data.user);
        return;
      }
      const fields = flattenErrors(answer.data?.errors || {});
      problems.append(...errorList([messageOf(answer), ...Object.values(fields).flat()]));
    } catch (error) {
      if (!(error instanceof NetworkError)) throw error;
      problems.append(...errorList(['无法连接服务器，请检查网络后重试（首次登录需要联网）。']));
    } finally {
      button.disabled = false;
    }
  });
  return form;
}
