// 用户管理: the users of the admin's jurisdiction (GET /api/v1/users); create one (role and
// jurisdiction only from what the admin may grant: its subtree), edit, deactivate (the server ends
// the user's sessions), reset the password (a one-time password shown once), unlock, end sessions.
import {clear, h} from './dom.js';
import {
  ME, Problem, call, choice, dash, dialog, failure, field, input, instant, jurisdictionChooser,
  oneTimePassword, passwordOnce, showMessages, submit,
} from './admin-common.js';

const root = document.getElementById('app');

function statusChips(user) {
  return [
    h('span', {class: `chip ${user.active ? 'compliant' : 'neutral'}`}, user.active ? '启用' : '已停用'),
    user.locked_until ? [' ', h('span', {class: 'chip noncompliant', title: `锁定至 ${instant(user.locked_until)}`}, '已锁定')] : null,
  ];
}

const twoFactor = (user) => (user.two_factor_enabled ? '已绑定验证器' : '未绑定');

export function usersScreen(terms) {
  const params = new URLSearchParams(location.search);
  const role = choice([['', '全部角色'], ...terms.options('role')], params.get('role') || '', {id: 'f-role'});
  const results = h('div', {id: 'results', 'aria-live': 'polite'});
  const notice = h('div', {id: 'notice', 'aria-live': 'polite'});
  const create = h('button', {class: 'btn', type: 'button', id: 'new-user'}, '新建用户');
  create.addEventListener('click', () => createDialog(terms, show, notice));
  const place = jurisdictionChooser('f-jurisdiction', params.get('jurisdiction') || ME.code);
  const status = choice([['', '全部'], ['true', '启用'], ['false', '已停用']], params.get('active') || '', {id: 'f-active'});
  const search = input({type: 'search', id: 'f-q', value: params.get('q') || '', maxlength: 64, placeholder: '用户名或姓名'});
  const searchForm = h('form', {class: 'field grow', role: 'search'}, h('label', {for: 'f-q'}, '搜索'),
    h('span', {class: 'inline'}, search, h('button', {class: 'btn small', type: 'submit'}, '查询')));
  const refilter = () => {
    if (role.value) params.set('role', role.value); else params.delete('role');
    if (status.value) params.set('active', status.value); else params.delete('active');
    const code = place.select.value;
    if (code && code !== ME.code) params.set('jurisdiction', code); else params.delete('jurisdiction');
    const q = search.value.trim();
    if (q) params.set('q', q); else params.delete('q');
    params.delete('cursor');
    params.delete('page');
    show();
  };
  role.addEventListener('change', refilter);
  status.addEventListener('change', refilter);
  place.select.addEventListener('change', refilter);
  searchForm.addEventListener('submit', (event) => {
    event.preventDefault();
    refilter();
  });
  clear(root,
    h('div', {class: 'desk-head'}, h('h1', {}, '用户管理'), h('span', {class: 'desk-actions'}, create)),
    h('p', {class: 'muted small'}, `${ME.name}及下级的账户。停用、重置密码、解除验证器后，该用户的所有会话立即结束。`),
    notice,
    h('div', {class: 'filters'}, h('div', {class: 'field'}, h('label', {for: 'f-role'}, '角色'), role),
      h('div', {class: 'field'}, h('label', {for: 'f-jurisdiction'}, '行政区划（含下级）'), place),
      h('div', {class: 'field'}, h('label', {for: 'f-active'}, '状态'), status), searchForm),
    results);

  async function show() {
    history.replaceState(null, '', `${location.pathname}${params.toString() ? `?${params}` : ''}`);
    let data;
    try {
      data = await call(`/api/v1/users?per_page=50&${params}`);
    } catch (error) {
      if (!(error instanceof Problem)) throw error;
      return clear(results, failure(error.message));
    }
    const go = (cursor, page) => {
      params.delete('cursor');
      params.delete('page');
      if (cursor) params.set('cursor', cursor); else if (page > 1) params.set('page', page);
      show();
    };
    const hasNext = Boolean(data.next_cursor) || data.page * data.per_page < data.total;
    clear(results,
      h('table', {class: 'grid', id: 'users'},
        h('thead', {}, h('tr', {}, ['用户名', '姓名', '角色', '行政区划 / 学校', '电话', '状态', '两步验证', ''].map((t) => h('th', {scope: 'col'}, t)))),
        h('tbody', {}, data.items.map((user) => h('tr', {dataset: {username: user.username}},
          h('td', {class: 'mono'}, user.username), h('td', {}, user.display_name), h('td', {}, user.role_label),
          h('td', {}, user.school_name || user.jurisdiction_name), h('td', {class: 'nowrap'}, dash(user.phone)),
          h('td', {class: 'nowrap'}, statusChips(user)), h('td', {}, twoFactor(user)),
          h('td', {class: 'nowrap'}, h('button', {class: 'link small', type: 'button', onclick: () => manageDialog(user, show, notice)}, '管理')))))),
      h('div', {class: 'pager'},
        h('span', {class: 'muted', id: 'summary'}, data.total ? `共 ${data.total} 个账户（第 ${data.page} 页）` : (params.get('q') ? `没有用户名或姓名含“${params.get('q')}”的账户。` : '没有账户。')),
        h('button', {class: 'btn secondary small', type: 'button', disabled: data.page <= 1, onclick: () => go(data.prev_cursor, data.page - 1)}, '上一页'),
        h('button', {class: 'btn secondary small', type: 'button', disabled: !hasNext, onclick: () => go(data.next_cursor, data.page + 1)}, '下一页')));
  }
  show();
}

function createDialog(terms, refresh, notice) {
  const messages = h('div');
  const jurisdiction = jurisdictionChooser('fld-jurisdiction_code', ME.code);
  const school = h('select', {id: 'fld-school_id'}, h('option', {value: ''}, '请先搜索学校'));
  const schoolSearch = input({type: 'search', placeholder: '输入学校名称搜索', 'aria-label': '搜索学校'});
  const password = oneTimePassword();
  const role = choice(terms.options('role'), 'inspector', {id: 'fld-role'});
  const schoolField = field('school_id', '学校', h('span', {class: 'chooser'}, school, schoolSearch));
  const jurisdictionField = field('jurisdiction_code', '行政区划（本辖区及下级）', jurisdiction);
  const sync = () => {
    const isSchool = role.value === 'school';
    schoolField.hidden = !isSchool;
    jurisdictionField.hidden = isSchool;
  };
  role.addEventListener('change', sync);
  let timer = null;
  schoolSearch.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const q = schoolSearch.value.trim();
      const found = q ? await call(`/api/v1/schools?per_page=20&q=${encodeURIComponent(q)}`).catch(() => ({items: []})) : {items: []};
      clear(school, found.items.length ? found.items.map((s) => h('option', {value: s.id}, `${s.name} · ${s.jurisdiction_name}`))
        : h('option', {value: ''}, q ? '没有匹配的学校' : '请先搜索学校'));
    }, 250);
  });
  const form = h('form', {class: 'admin-form', id: 'user-form', novalidate: true},
    field('username', '用户名', input({autocomplete: 'off', maxlength: 64, required: true}), '字母、数字、下划线、点和连字符，3–64 位；登录时使用。'),
    field('display_name', '姓名', input({maxlength: 64, required: true})),
    field('role', '角色', role),
    jurisdictionField, schoolField,
    field('phone', '电话', input({maxlength: 20, inputmode: 'tel'})),
    h('p', {class: 'small muted'}, '系统生成一次性初始密码，创建后显示一次。'),
    messages,
    h('div', {class: 'form-actions'}, h('button', {class: 'btn', type: 'submit'}, '创建'),
      h('button', {class: 'btn secondary', type: 'button', onclick: () => box.close()}, '取消')));
  sync();
  const box = dialog('新建用户', form);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = {
      username: form.username.value.trim(), display_name: form.display_name.value.trim(), role: role.value,
      password, phone: form.phone.value.trim() || null,
    };
    if (role.value === 'school') {
      if (!school.value) return showMessages(form, messages, {school_id: ['请选择学校。']});
      data.school_id = Number(school.value);
    } else {
      data.jurisdiction_code = jurisdiction.select.value;
    }
    const user = await submit(form, messages, '/api/v1/users', 'POST', data);
    if (!user) return;
    box.close();
    clear(notice, h('div', {class: 'card notice'},
      h('p', {class: 'ok'}, `已创建账户 ${user.username}（${user.display_name}，${user.role_label}，${user.school_name || user.jurisdiction_name}）。`),
      passwordOnce(user.display_name, password)));
    refresh();
  });
}

function manageDialog(user, refresh, notice) {
  const messages = h('div', {id: 'manage-messages'});
  const sessions = h('div', {id: 'sessions'});
  const form = h('form', {class: 'admin-form', id: 'edit-form', novalidate: true},
    h('h3', {}, '姓名与电话'),
    field('display_name', '姓名', input({maxlength: 64, value: user.display_name})),
    field('phone', '电话', input({maxlength: 20, value: user.phone || ''})),
    h('div', {class: 'form-actions'}, h('button', {class: 'btn', type: 'submit'}, '保存')));
  const action = (label, cls, run) => h('button', {class: `btn ${cls} small`, type: 'button', onclick: run}, label);
  const patch = async (data, done) => {
    const updated = await submit(form, messages, `/api/v1/users/${user.id}`, 'PATCH', data);
    if (updated) {
      Object.assign(user, updated);
      done?.(updated);
      refresh();
      renderFacts();
      loadSessions();
    }
    return updated;
  };
  const facts = h('dl', {class: 'facts'});
  const actions = h('div', {class: 'form-actions wrap'});
  function renderFacts() {
    clear(facts, [['用户名', user.username], ['角色', user.role_label], ['行政区划 / 学校', user.school_name || user.jurisdiction_name],
      ['状态', statusChips(user)], ['两步验证', twoFactor(user)],
      ['锁定', user.locked_until ? `连续登录失败，锁定至 ${instant(user.locked_until)}` : '未锁定']]
      .flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
    clear(actions,
      user.active
        ? action('停用账户', 'danger', () => confirm(`停用 ${user.display_name} 的账户？其所有会话将立即结束。`) && patch({active: false}))
        : action('重新启用', 'secondary', () => patch({active: true})),
      action('重置密码', 'secondary', () => {
        const password = oneTimePassword();
        if (!confirm(`为 ${user.display_name} 生成新的一次性密码？其所有会话将立即结束。`)) return;
        patch({password}, () => clear(notice, h('div', {class: 'card notice'}, passwordOnce(user.display_name, password))))
          .then((ok) => ok && box.close());
      }),
      user.locked_until ? action('解除锁定', 'secondary', () => patch({unlock: true})) : null,
      user.two_factor_enabled ? action('解除验证器绑定', 'secondary', () => confirm('解除后该用户下次登录需重新绑定验证器。继续？') && patch({reset_two_factor: true})) : null);
  }
  async function loadSessions() {
    let page;
    try {
      page = await call(`/api/v1/users/${user.id}/sessions?per_page=100`);
    } catch (error) {
      if (!(error instanceof Problem)) throw error;
      return clear(sessions, h('h3', {}, '会话'), h('p', {class: 'small muted'}, error.answer?.status === 403 ? '您不能管理该账户的会话。' : error.message));
    }
    const end = async (path) => {
      try {
        await call(path, {method: 'DELETE'});
      } catch (error) {
        if (!(error instanceof Problem)) throw error;
        clear(messages, failure(error.message));
      }
      loadSessions();
    };
    clear(sessions, h('h3', {}, `正在使用的会话（${page.total}）`),
      page.items.length
        ? [h('table', {class: 'grid inner'}, h('thead', {}, h('tr', {}, ['登录时间', '最近活动', '地址', '失效时间', ''].map((t) => h('th', {}, t)))),
          h('tbody', {}, page.items.map((s) => h('tr', {}, h('td', {class: 'nowrap'}, instant(s.created_at)), h('td', {class: 'nowrap'}, instant(s.last_seen_at)),
            h('td', {class: 'mono'}, dash(s.client_ip)), h('td', {class: 'nowrap'}, instant(s.expires_at)),
            h('td', {}, h('button', {class: 'link small', type: 'button', onclick: () => end(`/api/v1/users/${user.id}/sessions/${s.id}`)}, '结束')))))),
        action('结束全部会话', 'secondary', () => end(`/api/v1/users/${user.id}/sessions`))]
        : h('p', {class: 'small muted'}, '没有正在使用的会话。'));
  }
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    patch({display_name: form.display_name.value.trim(), phone: form.phone.value.trim() || null},
      () => clear(messages, h('p', {class: 'ok'}, '已保存。')));
  });
  renderFacts();
  loadSessions();
  const box = dialog(`管理账户：${user.display_name}`, facts, actions, messages, form, sessions);
}
