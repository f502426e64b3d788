// #/profile: the inspector's own name and 执法证号, kept on the account (PATCH /api/v1/auth/me)
// and prefilled into every new inspection; and what this phone holds for offline work.
import {NetworkError, flattenErrors, messageOf, request, updateUser} from '/static/web/api.js';
import {clear, errorList, h} from '/static/web/dom.js';
import {deviceId, numbersLeft, topUpNumbers} from './numbers.js';

export async function showProfile(root, user, onChange) {
  await topUpNumbers(user);
  const name = h('input', {id: 'profile-name', type: 'text', value: user.display_name, autocomplete: 'name'});
  const badge = h('input', {id: 'profile-badge', type: 'text', value: user.badge_no || '', autocomplete: 'off',
    inputmode: 'numeric'});
  const slots = {display_name: h('div', {class: 'field-errors'}), badge_no: h('div', {class: 'field-errors'})};
  const status = h('p', {class: 'small', id: 'profile-status', role: 'status'});
  const save = h('button', {class: 'btn block', type: 'button', id: 'profile-save'}, '保存');
  save.addEventListener('click', async () => {
    const body = {display_name: name.value.trim(), badge_no: badge.value.trim() || null};
    const errors = body.display_name ? {} : {display_name: ['请填写姓名。']};
    for (const [key, slot] of Object.entries(slots)) slot.replaceChildren(...errorList(errors[key]));
    if (Object.keys(errors).length) return;
    save.disabled = true;
    try {
      const answer = await request('/api/v1/auth/me', {method: 'PATCH', json: body});
      if (!answer.ok) {
        const flat = flattenErrors(answer.data?.errors || {});
        for (const [key, slot] of Object.entries(slots)) slot.replaceChildren(...errorList(flat[key]));
        status.textContent = messageOf(answer);
      } else {
        updateUser(answer.data);
        onChange(answer.data);
        status.textContent = '已保存，新的检查将自动填入。';
      }
    } catch (error) {
      if (!(error instanceof NetworkError)) throw error;
      status.textContent = '当前离线，未能保存；请联网后再试。';
    } finally {
      save.disabled = false;
    }
  });
  clear(root,
    h('h1', {'data-no-refresh': ''}, '我的账户'),
    h('section', {class: 'card'}, h('dl', {class: 'facts'},
      h('dt', {}, '用户名'), h('dd', {}, user.username),
      h('dt', {}, '辖区'), h('dd', {}, user.jurisdiction_name || user.jurisdiction_code))),
    h('div', {class: 'field'}, h('label', {for: 'profile-name'}, '姓名'), name, slots.display_name),
    h('div', {class: 'field'}, h('label', {for: 'profile-badge'}, '执法证号'), badge, slots.badge_no),
    h('p', {class: 'muted small'}, '姓名和执法证号会自动填入新建的检查，无需每次输入。'),
    save, status,
    h('h2', {}, '本机'),
    h('p', {class: 'small', id: 'numbers-left'}, `预留的责令改正通知书编号：剩余 ${await numbersLeft(user)} 个（联网时自动补充）`),
    h('p', {class: 'muted small'}, `设备编号：${(await deviceId()).slice(0, 8)}`),
    h('a', {class: 'btn secondary block', href: '#/register'}, '现场登记新单位'),
    h('a', {class: 'btn secondary block', href: '#/'}, '返回首页'));
}
