// What the administrator's screens share: API calls with the desk's error handling, forms whose
// errors (and the registry's warnings) stand at their field, a jurisdiction chooser limited to
// the admin's subtree, and a one-time password that meets the password rules.
import {NetworkError, flattenErrors, messageOf, needsLogin, request} from './api.js';
import {clear, errorList, h} from './dom.js';

export const body = document.body;
export const ME = {code: body.dataset.jurisdiction, name: body.dataset.jurisdictionName};

export class Problem extends Error {
  constructor(message, answer = null) {
    super(message);
    this.answer = answer;
  }
}

// Any API call; a lost session goes back to the login page; other failures throw Problem.
export async function call(path, options = {}) {
  let answer;
  try {
    answer = await request(path, options);
  } catch (error) {
    if (error instanceof NetworkError) throw new Problem('无法连接服务器，请检查网络后重试。');
    throw error;
  }
  if (needsLogin(answer)) {
    location.assign('/');
    throw new Problem('请重新登录。', answer);
  }
  if (!answer.ok) throw new Problem(messageOf(answer), answer);
  return answer.data;
}

export const failure = (message) => h('p', {class: 'error', role: 'alert'}, message);
export const dash = (value) => (value === null || value === undefined || value === '' ? '—' : value);
export const instant = (iso) => (iso ? iso.slice(0, 16).replace('T', ' ') : '—');

// A labelled field: {name, label, control, hint}; the control gets id `fld-<name>`.
export function field(name, label, control, hint) {
  const target = control.matches('input, select, textarea') ? control : control.querySelector('select, input');
  target.id ||= `fld-${name}`;
  if (!target.name) target.name = name;
  return h('div', {class: 'form-field', dataset: {field: name}},
    h('label', {for: target.id}, label), control,
    hint ? h('p', {class: 'hint small muted'}, hint) : null,
    h('div', {class: 'field-messages'}));
}

export function input(props = {}) {
  return h('input', {type: 'text', ...props});
}

export function choice(options, value, props = {}) {
  return h('select', props, options.map(([v, label]) => h('option', {value: v, selected: v === value}, label)));
}

// The API's errors at their fields ({field: [messages]}), the rest in `box`; warnings likewise.
export function showMessages(form, box, errors = {}, warnings = []) {
  for (const slot of form.querySelectorAll('.field-messages')) clear(slot);
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  const flat = flattenErrors(errors);
  const loose = [];
  for (const [path, messages] of Object.entries(flat)) {
    const name = path.split('.')[0];
    const slot = form.querySelector(`[data-field="${name}"] .field-messages`);
    if (slot) {
      slot.append(...errorList(messages));
      slot.parentElement.querySelector('input, select, textarea')?.setAttribute('aria-invalid', 'true');
    } else {
      loose.push(...messages);
    }
  }
  for (const warning of warnings) {
    const slot = form.querySelector(`[data-field="${warning.field}"] .field-messages`);
    const note = h('p', {class: 'warning', role: 'status'}, warning.message);
    if (slot) slot.append(note); else loose.push(warning.message);
  }
  clear(box, loose.map((m) => failure(m)));
}

// Submit `data` to the API; on 422 the errors go to their fields and null comes back.
export async function submit(form, box, path, method, data) {
  const button = form.querySelector('button[type=submit]');
  if (button) button.disabled = true;
  try {
    const result = await call(path, {method, json: data});
    showMessages(form, box, {}, result?.warnings || []);
    return result;
  } catch (error) {
    if (!(error instanceof Problem)) throw error;
    const errors = error.answer?.data?.errors;
    if (errors && Object.keys(errors).length) showMessages(form, box, errors);
    else showMessages(form, box, {_schema: [error.message]});
    return null;
  } finally {
    if (button) button.disabled = false;
  }
}

// A <select> of the admin's own jurisdiction and its children, with a search over the subtree.
export function jurisdictionChooser(id, value) {
  const select = h('select', {id, name: id});
  const search = h('input', {type: 'search', placeholder: '搜索名称或代码', 'aria-label': '搜索行政区划', class: 'chooser-search'});
  const fill = (list, keep) => {
    const seen = new Set();
    const options = [];
    for (const j of list) {
      if (seen.has(j.code)) continue;
      seen.add(j.code);
      options.push(h('option', {value: j.code, selected: j.code === keep},
        `${j.name}（${j.code}）${j.parent_name && j.code !== ME.code ? ` · ${j.parent_name}` : ''}`));
    }
    clear(select, options);
    if (keep && seen.has(keep)) select.value = keep;
  };
  const own = async () => {
    const children = await call(`/api/v1/jurisdictions?parent=${ME.code}`).catch(() => []);
    const current = value && value !== ME.code ? await call(`/api/v1/jurisdictions?q=${value}`).catch(() => []) : [];
    fill([{code: ME.code, name: ME.name}, ...current.filter((j) => j.code === value), ...children], value || ME.code);
  };
  let timer = null;
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const q = search.value.trim();
      if (!q) return own();
      const found = await call(`/api/v1/jurisdictions?q=${encodeURIComponent(q)}`).catch(() => []);
      fill(found, select.value);
      if (found.length) select.value = found[0].code;
      select.dispatchEvent(new Event('change'));
    }, 250);
  });
  own();
  const wrap = h('span', {class: 'chooser'}, select, search);
  wrap.select = select;
  return wrap;
}

// A one-time password within the rules: 14 characters, all four classes, no look-alikes.
export function oneTimePassword() {
  const sets = ['ABCDEFGHJKLMNPQRSTUVWXYZ', 'abcdefghijkmnpqrstuvwxyz', '23456789', '#%+-=@'];
  const all = sets.join('');
  const random = (n) => crypto.getRandomValues(new Uint32Array(1))[0] % n;
  const chars = sets.map((set) => set[random(set.length)]);
  while (chars.length < 14) chars.push(all[random(all.length)]);
  for (let i = chars.length - 1; i > 0; i -= 1) {
    const j = random(i + 1);
    [chars[i], chars[j]] = [chars[j], chars[i]];
  }
  return chars.join('');
}

// The password, shown once, with a copy button; it is not kept anywhere else.
export function passwordOnce(who, password) {
  const copy = h('button', {class: 'btn secondary small', type: 'button'}, '复制');
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(password);
      copy.textContent = '已复制';
    } catch {
      copy.textContent = '请手动复制';
    }
  });
  return h('div', {class: 'one-time', role: 'status'},
    h('p', {}, `${who}的初始密码（只显示这一次，关闭后无法再查看；请当面或通过安全渠道告知本人）：`),
    h('p', {class: 'inline'}, h('code', {class: 'secret', id: 'one-time-password'}, password), copy));
}

// A modal dialog (native <dialog>), closed by its close button or Escape; removed when closed.
export function dialog(title, ...content) {
  const close = h('button', {class: 'link dialog-close', type: 'button', 'aria-label': '关闭'}, '×');
  const box = h('dialog', {class: 'admin-dialog', 'aria-label': title},
    h('div', {class: 'dialog-head'}, h('h2', {}, title), close), ...content);
  close.addEventListener('click', () => box.close());
  box.addEventListener('close', () => box.remove());
  document.body.append(box);
  box.showModal();
  return box;
}
