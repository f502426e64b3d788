// 批量导入: download the blank template, upload the filled one (checked first by
// POST /api/v1/imports/check, which answers a line per step as it reads and judges the rows: the
// page shows the upload's progress, then the reading's and the validation's), see every error on
// screen and download the workbook with the errors marked in it, then confirm; the result says what
// was created, updated, unchanged.
import {session} from './api.js';
import {clear, h} from './dom.js';
import {failure} from './admin-common.js';

const root = document.getElementById('app');
const API = '/api/v1/imports';

// POST the file with XMLHttpRequest (fetch cannot report an upload's progress).
function post(file, query, {onProgress, blob = false} = {}) {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `${API}?${query}`);
    xhr.setRequestHeader('Accept', blob ? 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' : 'application/json');
    const csrf = session()?.csrf;
    if (csrf) xhr.setRequestHeader('X-CSRF-Token', csrf);
    xhr.responseType = blob ? 'blob' : 'json';
    if (onProgress) xhr.upload.addEventListener('progress', (e) => e.lengthComputable && onProgress(e.loaded / e.total));
    xhr.addEventListener('load', () => resolve({status: xhr.status, ok: xhr.status < 300, data: xhr.response,
      disposition: xhr.getResponseHeader('Content-Disposition')}));
    xhr.addEventListener('error', () => resolve({status: 0, ok: false, data: null}));
    const form = new FormData();
    form.append('file', file);
    xhr.send(form);
  });
}

// POST the file to the check, which answers JSON lines as it goes (application/x-ndjson): each
// complete line is handed to `onLine` while the answer arrives. Resolves with the last line, or
// with the error answer of a file refused before the check began.
function checkStreamed(file, {onUpload, onLine}) {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `${API}/check`);
    xhr.setRequestHeader('Accept', 'application/x-ndjson, application/json');
    const csrf = session()?.csrf;
    if (csrf) xhr.setRequestHeader('X-CSRF-Token', csrf);
    let seen = 0;
    let last = null;
    const take = () => {
      if (xhr.status !== 200) return;
      const text = xhr.responseText;
      let end;
      while ((end = text.indexOf('\n', seen)) >= 0) {
        const line = text.slice(seen, end);
        seen = end + 1;
        if (!line.trim()) continue;
        last = JSON.parse(line);
        onLine(last);
      }
    };
    xhr.upload.addEventListener('progress', (e) => e.lengthComputable && onUpload(e.loaded / e.total));
    xhr.addEventListener('progress', take);
    xhr.addEventListener('load', () => {
      take();
      if (xhr.status === 200) return resolve({status: 200, ok: Boolean(last), last});
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch { /* not JSON: the status says it */ }
      resolve({status: xhr.status, ok: false, data});
    });
    xhr.addEventListener('error', () => resolve({status: 0, ok: false, data: null, last}));
    const form = new FormData();
    form.append('file', file);
    xhr.send(form);
  });
}

const number = (n) => n.toLocaleString('zh-CN');

function countsTable(result, verbs) {
  return h('table', {class: 'grid counts', id: 'counts'},
    h('thead', {}, h('tr', {}, ['工作表', '行数', ...verbs].map((t) => h('th', {scope: 'col'}, t)))),
    h('tbody', {}, result.sheets.map((s) => h('tr', {dataset: {sheet: s.sheet}}, h('td', {}, s.sheet), h('td', {class: 'num'}, s.rows),
      h('td', {class: 'num'}, s.created), h('td', {class: 'num'}, s.updated), h('td', {class: 'num'}, s.unchanged)))));
}

function problemsTable(problems, id) {
  return h('table', {class: 'grid', id},
    h('thead', {}, h('tr', {}, ['工作表', '行', '列', '说明'].map((t) => h('th', {scope: 'col'}, t)))),
    h('tbody', {}, problems.map((p) => h('tr', {}, h('td', {class: 'nowrap'}, p.sheet), h('td', {class: 'num'}, p.row ?? '—'),
      h('td', {class: 'nowrap'}, p.column ?? '—'), h('td', {}, p.message)))));
}

function save(blob, disposition, fallback) {
  const match = /filename\*=UTF-8''([^;]+)/i.exec(disposition || '');
  const url = URL.createObjectURL(blob);
  const link = h('a', {href: url, download: match ? decodeURIComponent(match[1]) : fallback, hidden: true});
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

const trouble = (answer) => (answer.status === 0 ? '无法连接服务器，请检查网络后重试。'
  : answer.status === 401 ? '登录已失效，请重新登录。' : answer.data?.message || `服务器返回错误（${answer.status}）。`);

export function importsScreen() {
  const file = h('input', {type: 'file', id: 'import-file', accept: '.xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'});
  const check = h('button', {class: 'btn', type: 'submit', id: 'check', disabled: true}, '上传并校验');
  const progress = h('progress', {id: 'progress', max: 1, value: 0, hidden: true});
  const stage = h('span', {class: 'muted', id: 'stage', 'aria-live': 'polite'});
  const outcome = h('div', {id: 'outcome'});
  const chosenName = h('span', {class: 'file-name', id: 'file-name'}, '尚未选择文件（.xlsx）');
  const form = h('form', {class: 'panel upload'},
    h('h2', {}, '1. 下载模板并填写'),
    h('p', {}, '模板含学校、单位、供餐关系三个工作表，每列有填写说明和一行示例（示例行不导入）。',
      h('a', {href: `${API}/template.xlsx`, id: 'template', download: ''}, '下载空白导入模板')),
    h('h2', {}, '2. 上传填好的模板'),
    h('div', {class: 'inline'}, h('label', {class: 'btn secondary file-btn'}, '选择文件…', file), chosenName, check, progress, stage),
    h('p', {class: 'small muted'}, '先校验全部行，不写入任何数据；没有错误时再确认导入。所有行要么全部导入，要么都不导入。'));
  const forget = () => {
    file.value = '';
    check.disabled = true;
    chosenName.textContent = '尚未选择文件（.xlsx）';
  };
  file.addEventListener('change', () => {
    check.disabled = !file.files.length;
    chosenName.textContent = file.files[0]?.name || '尚未选择文件（.xlsx）';
    clear(outcome);
    stage.textContent = '';
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const chosen = file.files[0];
    if (!chosen) return;
    check.disabled = true;
    progress.hidden = false;
    progress.value = 0;
    clear(outcome);
    stage.textContent = '正在上传…';
    const started = Date.now();
    const sheets = new Map();  // sheet → data rows read
    const answer = await checkStreamed(chosen, {
      onUpload: (share) => {
        progress.value = share;
        stage.textContent = share < 1 ? `正在上传… ${Math.round(share * 100)}%` : '已上传，正在读取…';
        if (share >= 1) progress.removeAttribute('value');
      },
      onLine: (line) => {
        if (line.stage === 'received') {
          progress.removeAttribute('value');
          stage.textContent = '已上传，正在读取工作簿…';
        } else if (line.stage === 'reading') {
          sheets.set(line.sheet, line.rows);
          const read = [...sheets.values()].reduce((n, rows) => n + rows, 0);
          stage.textContent = `正在读取“${line.sheet}”表：已读 ${number(read)} 行`;
        } else if (line.stage === 'checking' && line.total) {
          progress.max = line.total;
          progress.value = line.done;
          stage.textContent = `正在逐行校验：已校验 ${number(line.done)} / ${number(line.total)} 行（${Math.floor(line.done * 100 / line.total)}%）`;
        }
      },
    });
    progress.hidden = true;
    progress.max = 1;
    check.disabled = false;
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    stage.textContent = answer.last?.stage === 'checked' || answer.last?.stage === 'refused' ? `校验用时 ${seconds} 秒。` : '';
    const refused = answer.last?.stage === 'refused' ? answer.last.error : (!answer.ok ? answer.data : null);
    if (refused && Array.isArray(refused.errors)) return rejected(chosen, refused);
    if (refused) return clear(outcome, failure(refused.message || trouble(answer)));
    if (!answer.ok || answer.last?.stage !== 'checked') return clear(outcome, failure(answer.status === 200 ? '校验中断，请重试。' : trouble(answer)));
    checked(chosen, answer.last.result);
  });

  function rejected(chosen, data) {
    const download = h('button', {class: 'btn secondary', type: 'button', id: 'annotated'}, '下载标注错误的工作簿');
    download.addEventListener('click', async () => {
      download.disabled = true;
      const answer = await post(chosen, 'annotated=true', {blob: true});
      download.disabled = false;
      if (answer.status === 422 && answer.data instanceof Blob) save(answer.data, answer.disposition, 'import-errors.xlsx');
      else clear(outcome.querySelector('.download-note'), failure('无法生成标注文件，请重试。'));
    });
    clear(outcome, h('section', {class: 'panel bad', id: 'rejected'},
      h('h2', {}, `校验未通过：${data.errors.length} 处错误`),
      h('p', {class: 'error', role: 'alert'}, data.message),
      h('div', {class: 'inline'}, download, h('span', {class: 'small muted'}, '错误已用红色标在单元格上，并附说明。')),
      h('div', {class: 'download-note'}),
      problemsTable(data.errors, 'errors')));
  }

  function checked(chosen, result) {
    const confirm = h('button', {class: 'btn', type: 'button', id: 'confirm'}, '确认导入');
    const note = h('div');
    confirm.addEventListener('click', async () => {
      confirm.disabled = true;
      const started = Date.now();
      const writing = h('progress', {id: 'writing'});  // no steps to count: the import is one transaction
      const said = h('span', {class: 'muted'});
      const tell = () => { said.textContent = ` 正在导入 ${number(total)} 行（全部成功或全部不导入）…已用 ${Math.round((Date.now() - started) / 1000)} 秒`; };
      tell();
      const ticker = setInterval(tell, 1000);
      clear(note, writing, said);
      const answer = await post(chosen, '');
      clearInterval(ticker);
      clear(note);
      confirm.disabled = false;
      if (answer.status === 422 && Array.isArray(answer.data?.errors)) return rejected(chosen, answer.data);
      if (!answer.ok) return clear(note, failure(trouble(answer)));
      done(answer.data);
    });
    const total = result.sheets.reduce((n, s) => n + s.rows, 0);
    clear(outcome, h('section', {class: 'panel', id: 'checked'},
      h('h2', {}, '3. 校验通过，确认导入'),
      total ? h('p', {}, `共 ${total} 行，导入后将：`) : h('p', {class: 'warn-text'}, '文件中没有可导入的行（示例行不导入）。'),
      countsTable(result, ['将新建', '将更新', '无变化']),
      result.warnings.length ? [h('h3', {}, `提示（${result.warnings.length}，不影响导入，请核对）`), problemsTable(result.warnings, 'warnings')] : null,
      h('div', {class: 'form-actions'}, confirm, h('button', {class: 'btn secondary', type: 'button', onclick: () => { forget(); clear(outcome); }}, '取消')),
      note));
    if (!total) confirm.disabled = true;
  }

  function done(result) {
    const sum = (key) => result.sheets.reduce((n, s) => n + s[key], 0);
    forget();
    clear(outcome, h('section', {class: 'panel good', id: 'done'},
      h('h2', {}, '导入完成'),
      h('p', {class: 'ok', id: 'done-summary'}, `新建 ${sum('created')} 条，更新 ${sum('updated')} 条，无变化 ${sum('unchanged')} 条。`),
      countsTable(result, ['新建', '更新', '无变化']),
      result.warnings.length ? [h('h3', {}, `提示（${result.warnings.length}）`), problemsTable(result.warnings, 'warnings')] : null,
      h('p', {}, h('a', {href: '/desk/schools'}, '查看学校'), '　', h('a', {href: '/desk/units'}, '查看单位'), '　', h('a', {href: '/desk/supply-links'}, '查看供餐关系'))));
  }

  clear(root, h('div', {class: 'desk-head'}, h('h1', {}, '批量导入')), form, outcome);
}
