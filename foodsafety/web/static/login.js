// The login form, shared by the login page and the inspector app: the password, then, where a
// second factor applies, the authenticator code (or a recovery code), or first its enrolment.
import {NetworkError, flattenErrors, messageOf, request, saveSession} from './api.js';
import {clear, errorList, h} from './dom.js';

export function homeFor(user) {
  return {inspector: '/m/', school: '/school/', bureau: '/stats/', admin: '/stats/', auditor: '/audit/'}[user.role] || '/';
}

const OFFLINE = '无法连接服务器，请检查网络后重试（首次登录需要联网）。';

// Runs `call` with the button disabled; problems (field errors included) go into `problems`.
async function submit(button, problems, call) {
  button.disabled = true;
  problems.replaceChildren();
  try {
    const answer = await call();
    if (!answer.ok) {
      const fields = flattenErrors(answer.data?.errors || {});
      problems.append(...errorList([messageOf(answer), ...Object.values(fields).flat()]));
    }
    return answer;
  } catch (error) {
    if (!(error instanceof NetworkError)) throw error;
    problems.append(...errorList([OFFLINE]));
    return null;
  } finally {
    button.disabled = false;
  }
}

function codeInput(id) {
  return h('input', {id, name: id, type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code',
    maxlength: 8, pattern: '[0-9 ]*', required: true});
}

export function loginForm(onDone) {
  const root = h('div', {class: 'login-steps'});
  const finish = (login) => {
    saveSession(login);
    if (login.recovery_codes?.length) clear(root, recoveryCodes(login.recovery_codes, () => onDone(login.user)));
    else onDone(login.user);
  };
  const restart = (message) => clear(root, passwordStep(message));

  function passwordStep(message) {
    const username = h('input', {id: 'username', name: 'username', type: 'text', autocomplete: 'username', required: true, autocapitalize: 'off'});
    const password = h('input', {id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true});
    const problems = h('div', {role: 'alert'}, message ? errorList([message]) : null);
    const button = h('button', {class: 'btn block', type: 'submit'}, '登录');
    const form = h('form', {class: 'login', novalidate: true},
      h('label', {for: 'username'}, '用户名'), username,
      h('label', {for: 'password'}, '密码'), password,
      problems, button);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const answer = await submit(button, problems, () => request('/api/v1/auth/login', {
        method: 'POST', json: {username: username.value.trim(), password: password.value},
      }));
      if (!answer?.ok) return;
      if (answer.data.two_factor === 'enrol') clear(root, await enrolStep(answer.data.challenge));
      else if (answer.data.two_factor) clear(root, codeStep(answer.data.challenge));
      else finish(answer.data);
    });
    return form;
  }

  // Sends the code (or recovery code); an expired step goes back to the password.
  async function verify(button, problems, json) {
    const answer = await submit(button, problems, () => request('/api/v1/auth/login/two-factor', {method: 'POST', json}));
    if (answer?.ok) finish(answer.data);
    else if (answer?.data?.reason === 'challenge_expired') restart(answer.data.message);
  }

  function codeStep(challenge) {
    const code = codeInput('code');
    const recovery = h('input', {id: 'recovery-code', name: 'recovery-code', type: 'text', autocomplete: 'off', autocapitalize: 'off', required: true});
    const problems = h('div', {role: 'alert'});
    const button = h('button', {class: 'btn block', type: 'submit'}, '验证并登录');
    const codeField = h('div', {},
      h('label', {for: 'code'}, '验证码'),
      h('p', {class: 'muted small'}, '请打开手机上的验证器应用，输入“校园食品安全守护行动”当前显示的 6 位数字。'),
      code);
    const recoveryField = h('div', {hidden: true},
      h('label', {for: 'recovery-code'}, '恢复码'),
      h('p', {class: 'muted small'}, '手机不在身边时，可输入绑定时保存的一次性恢复码（每个只能使用一次）。'),
      recovery);
    const toggle = h('button', {class: 'link', type: 'button'}, '改用恢复码');
    toggle.addEventListener('click', () => {
      const useRecovery = recoveryField.hidden;
      recoveryField.hidden = !useRecovery;
      codeField.hidden = useRecovery;
      toggle.textContent = useRecovery ? '改用验证码' : '改用恢复码';
      (useRecovery ? recovery : code).focus();
    });
    const form = h('form', {class: 'login', novalidate: true},
      h('h2', {}, '两步验证'), codeField, recoveryField, problems, button, toggle);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const json = recoveryField.hidden ? {challenge, code: code.value.trim()} : {challenge, recovery_code: recovery.value.trim()};
      verify(button, problems, json);
    });
    queueMicrotask(() => code.focus());
    return form;
  }

  async function enrolStep(challenge) {
    const problems = h('div', {role: 'alert'});
    const answer = await submit(h('button'), problems, () => request('/api/v1/auth/login/enrolment', {method: 'POST', json: {challenge}}));
    if (!answer?.ok) return h('div', {}, problems, h('button', {class: 'btn block', type: 'button', onclick: () => restart()}, '重新登录'));
    const {secret, qr_svg: qr} = answer.data;
    const code = codeInput('code');
    const button = h('button', {class: 'btn block', type: 'submit'}, '绑定并登录');
    const form = h('form', {class: 'login enrol', novalidate: true},
      h('h2', {}, '启用两步验证'),
      h('p', {}, '您的账户需要使用两步验证登录。请按以下步骤绑定：'),
      h('ol', {class: 'steps-list'},
        h('li', {}, '在手机上安装验证器应用（如 Microsoft Authenticator、Google 身份验证器、FreeOTP 等）。'),
        h('li', {}, '用验证器应用扫描下方二维码。'),
        h('li', {}, '输入应用中显示的 6 位验证码。')),
      h('p', {class: 'qr'}, h('img', {src: qr, alt: '两步验证二维码', width: 220, height: 220})),
      h('p', {class: 'muted small'}, '无法扫码时，可在应用中手动输入密钥：'),
      h('p', {class: 'secret', id: 'totp-secret'}, secret.match(/.{1,4}/g).join(' ')),
      h('label', {for: 'code'}, '验证码'), code,
      problems, button);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      verify(button, problems, {challenge, code: code.value.trim()});
    });
    return form;
  }

  function recoveryCodes(codes, onContinue) {
    return h('section', {class: 'recovery'},
      h('h2', {}, '请保存恢复码'),
      h('p', {}, '两步验证已启用。手机丢失或无法使用验证器时，可用下列恢复码登录，每个只能使用一次。'
        + '请抄写或打印后妥善保管，本页关闭后将不再显示。'),
      h('ol', {class: 'codes', id: 'recovery-codes'}, codes.map((c) => h('li', {}, c))),
      h('button', {class: 'btn block', type: 'button', onclick: onContinue}, '我已保存，继续'));
  }

  root.append(passwordStep());
  return root;
}
