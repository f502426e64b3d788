// The statistics page: submit the picker on change, list snapshots, build one, link the workbooks.
// Every call goes to the JSON API with the session cookie (and the CSRF token on writes).

const csrf = document.querySelector('meta[name="csrf-token"]')?.content || '';
const box = document.getElementById('snapshots');
const message = document.getElementById('stats-message');

for (const form of document.querySelectorAll('form[data-autosubmit]')) {
  for (const select of form.querySelectorAll('select')) {
    select.addEventListener('change', () => form.submit());
  }
}

async function api(path, options = {}) {
  const headers = {Accept: 'application/json'};
  if (options.json !== undefined) headers['Content-Type'] = 'application/json';
  if (options.method && options.method !== 'GET' && csrf) headers['X-CSRF-Token'] = csrf;
  const response = await fetch(path, {
    method: options.method || 'GET', headers, credentials: 'same-origin', cache: 'no-store',
    body: options.json === undefined ? undefined : JSON.stringify(options.json),
  });
  let data = null;
  try { data = await response.json(); } catch { data = null; }
  return {ok: response.ok, status: response.status, data};
}

function say(text, bad = false) {
  message.textContent = text;
  message.classList.toggle('bad', bad);
}

function item(snapshot) {
  const li = document.createElement('li');
  const when = (snapshot.built_at || '').slice(0, 16).replace('T', ' ');
  li.append(`第 ${snapshot.version} 版 · ${snapshot.kind_label} · 截止 ${snapshot.cutoff} · 生成于 ${when}`);
  if (!snapshot.valid) li.append('（未通过校验）');
  li.append(' ');
  const link = document.createElement('a');
  link.href = `/api/v1/statistics/snapshots/${snapshot.id}/workbook.xlsx`;
  link.textContent = '下载 Excel';
  li.append(link);
  return li;
}

async function load() {
  if (!box) return;
  const {jurisdiction, period} = box.dataset;
  const query = new URLSearchParams({jurisdiction, period, per_page: '20'});
  let answer;
  try {
    answer = await api(`/api/v1/statistics/snapshots?${query}`);
  } catch {
    box.textContent = '网络不可用，无法加载快照列表。';
    return;
  }
  if (!answer.ok) {
    box.textContent = answer.data?.message || '无法加载快照列表。';
    return;
  }
  box.replaceChildren();
  if (!answer.data.items.length) {
    const p = document.createElement('p');
    p.className = 'muted';
    p.textContent = '该期间尚未生成快照。生成快照后可下载 Excel 统计表。';
    box.append(p);
    return;
  }
  const list = document.createElement('ul');
  list.className = 'snapshots';
  list.append(...answer.data.items.map(item));
  box.append(list);
}

async function build(kind, button) {
  const {jurisdiction, period, cutoff} = box.dataset;
  button.disabled = true;
  say('正在生成快照…');
  try {
    const answer = await api(`/api/v1/statistics/${jurisdiction}/${period}/snapshots`,
                             {method: 'POST', json: {kind, cutoff}});
    if (answer.ok) {
      say(`已生成第 ${answer.data.version} 版${answer.data.kind_label}。`);
      await load();
    } else {
      const reasons = answer.data?.errors?.validation || [];
      say([answer.data?.message || '生成失败。', ...reasons].join(' '), true);
    }
  } catch {
    say('网络不可用，请稍后重试。', true);
  } finally {
    button.disabled = false;
  }
}

for (const button of document.querySelectorAll('button[data-build]')) {
  button.addEventListener('click', () => build(button.dataset.build, button));
}
load();
