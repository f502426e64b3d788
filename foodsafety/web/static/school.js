// The school's view: its canteens' inspections (result, failed items, photos), the open
// rectification orders with their deadlines and a form to report the rectification, and the
// latest result of its catering supplier. The API scopes everything to the school: another
// school's records answer 404.
import {NetworkError, logout, messageOf, needsLogin, request} from './api.js';
import {clear, dayLabel, errorList, h, resultChip, uuid4} from './dom.js';
import {vocabulary} from './vocabulary.js';

const root = document.getElementById('app');

async function getJson(path) {
  const answer = await request(path);
  if (needsLogin(answer)) {
    location.assign('/');
    throw new Error('login required');
  }
  return answer;
}

function failure(error) {
  const text = error instanceof NetworkError ? '无法连接服务器，请检查网络后刷新。' : '加载失败，请刷新重试。';
  clear(root, h('p', {class: 'card bad', role: 'alert'}, text));
}

async function route() {
  const [, view, id] = location.hash.split('/');
  try {
    if (view === 'inspection' && id) await showInspection(id);
    else await showHome();
  } catch (error) {
    failure(error);
  }
  window.scrollTo(0, 0);
}

// --- home ------------------------------------------------------------------------------

async function showHome() {
  const [orders, inspections, suppliers] = await Promise.all([
    getJson('/api/v1/rectification-orders?per_page=100'),
    getJson('/api/v1/inspections?per_page=50'),
    getJson('/api/v1/school-view/suppliers'),
  ]);
  const open = orders.ok ? orders.data.items.filter((o) => o.status !== 'closed') : [];
  clear(root,
    h('h1', {}, '本校食堂监督检查'),
    h('h2', {}, `待整改通知（${open.length}）`),
    open.length ? open.map(orderCard) : h('p', {class: 'muted'}, '没有待整改的通知。'),
    h('h2', {}, '供餐单位'),
    suppliers.ok && suppliers.data.length ? suppliers.data.map(supplierCard) : h('p', {class: 'muted'}, '本校当前没有登记的集体用餐配送单位。'),
    h('h2', {}, '检查记录'),
    inspections.ok && inspections.data.items.length
      ? h('ul', {class: 'list', id: 'inspections'}, inspections.data.items.map((i) => h('li', {},
        h('a', {class: 'row-button', href: `#/inspection/${i.id}`, dataset: {inspection: i.id}},
          h('strong', {}, `${dayLabel(i.inspected_on)} ${i.unit.name}`),
          resultChip(i.result, i.result_label), ' ',
          h('span', {class: 'muted small'}, `发现问题 ${i.problems_found} 个 · ${i.handling_label}`)))))
      : h('p', {class: 'muted'}, '暂无检查记录。'));
}

function supplierCard(s) {
  const latest = s.latest_inspection;
  return h('section', {class: 'card supplier', dataset: {supplier: String(s.supplier.id)}},
    h('h3', {}, s.supplier.name),
    h('dl', {class: 'facts'},
      h('dt', {}, '最近检查'),
      h('dd', {}, latest ? [dayLabel(latest.inspected_on), ' ', resultChip(latest.result, latest.result_label)] : '暂无检查记录'),
      h('dt', {}, 'HACCP/ISO 22000'),
      h('dd', {}, latest ? `检查所见：${latest.haccp_label}` : `登记：${s.haccp_label}`,
        (latest ? latest.haccp_cert_expires_on : s.haccp_cert_expires_on)
          ? `（证书有效期至 ${dayLabel(latest ? latest.haccp_cert_expires_on : s.haccp_cert_expires_on)}）` : ''),
      h('dt', {}, '供餐起始'), h('dd', {}, dayLabel(s.starts_on))));
}

function orderCard(order) {
  const text = h('textarea', {id: `report-${order.id}`, name: 'text', required: true});
  const files = h('input', {type: 'file', accept: 'image/*', multiple: true, 'aria-label': '整改照片'});
  const chosen = h('p', {class: 'muted small'});
  files.addEventListener('change', () => {
    chosen.textContent = files.files.length ? `已选择 ${files.files.length} 张照片` : '';
  });
  const problems = h('div', {role: 'alert'});
  const button = h('button', {class: 'btn block', type: 'submit'}, '提交整改报告');
  // One id per report, made once: a double tap or a retry after a lost answer sends the same
  // id, and the server stores the report once and answers it again.
  const reportId = uuid4();
  const photoIds = new Map();  // file → its id, kept across retries like the report's
  const form = h('form', {class: 'report-form', novalidate: true},
    h('label', {for: `report-${order.id}`}, '整改情况'), text,
    h('label', {class: 'btn secondary file-btn'}, '＋ 添加整改照片', files), chosen,
    problems, button);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    button.disabled = true;
    problems.replaceChildren();
    try {
      const outcome = await sendReport(order, {reportId, photoIds}, text.value, [...files.files]);
      if (outcome.ok) return route();
      problems.append(...errorList(outcome.messages));
    } catch (error) {
      if (!(error instanceof NetworkError)) throw error;
      problems.append(...errorList(['无法连接服务器，请联网后再提交。']));
    } finally {
      button.disabled = false;
    }
  });
  return h('section', {class: `card order ${order.overdue ? 'bad' : 'warn'}`, dataset: {order: String(order.id)}},
    h('h3', {}, `责令改正通知书 ${order.number}`),
    h('dl', {class: 'facts'},
      h('dt', {}, '单位'), h('dd', {}, order.unit.name),
      h('dt', {}, '下达日期'), h('dd', {}, dayLabel(order.issued_on)),
      h('dt', {}, '整改期限'), h('dd', {class: 'deadline'}, dayLabel(order.deadline), order.overdue ? '（已逾期）' : ''),
      h('dt', {}, '状态'), h('dd', {class: 'status'}, order.status_label)),
    h('p', {}, h('a', {href: `#/inspection/${order.inspection_id}`}, '查看检查记录'), ' · ',
      h('a', {class: 'notice-pdf', href: `/api/v1/rectification-orders/${order.id}/notice.pdf`, download: ''}, '下载责令改正通知书')),
    h('h3', {}, '需整改的问题'),
    h('ul', {}, order.findings.map((f) => h('li', {}, f.item ? `${f.item} ` : '', f.description))),
    order.reports.length ? [h('h3', {}, '已提交的整改报告'), order.reports.map((r) => h('div', {class: 'report'},
      h('p', {}, r.text), thumbs(r.photo_ids || []), h('p', {class: 'muted small'}, `提交于 ${dayLabel(r.submitted_at)}`)))] : null,
    form);
}

// Photos first (each with its own id, so a retry stores nothing twice), then the report itself.
async function sendReport(order, {reportId, photoIds}, text, files) {
  if (!text.trim()) return {ok: false, messages: ['请填写整改情况。']};
  const ids = [];
  for (const file of files) {
    if (!photoIds.has(file)) photoIds.set(file, uuid4());
    const id = photoIds.get(file);
    const form = new FormData();
    form.append('file', file, file.name || `${id}.jpg`);
    form.append('id', id);
    form.append('inspection_id', order.inspection_id);
    form.append('unit_id', String(order.unit.id));
    form.append('target', `report:${order.id}`);
    const answer = await request('/api/v1/photos', {method: 'POST', form});
    if (!answer.ok) return {ok: false, messages: [`照片“${file.name}”上传失败：${messageOf(answer)}`]};
    ids.push(id);
  }
  const answer = await request(`/api/v1/rectification-orders/${order.id}/reports`, {
    method: 'POST', json: {id: reportId, text: text.trim(), photo_ids: ids},
  });
  if (answer.ok) return {ok: true};
  const fields = Object.values(answer.data?.errors || {}).flatMap((v) => (Array.isArray(v) ? v : Object.values(v).flat()));
  return {ok: false, messages: [messageOf(answer), ...fields.map(String)]};
}

function thumbs(ids) {
  return h('div', {class: 'thumbs'}, ids.map((id) => h('a', {class: 'thumb', href: `/api/v1/photos/${id}/image`, target: '_blank'},
    h('img', {src: `/api/v1/photos/${id}/thumbnail`, alt: '照片', loading: 'lazy'}))));
}

// --- one inspection --------------------------------------------------------------------

async function showInspection(id) {
  const answer = await getJson(`/api/v1/inspections/${encodeURIComponent(id)}`);
  if (!answer.ok) {
    clear(root, h('p', {class: 'card bad', role: 'alert', id: 'not-found'},
      answer.status === 404 ? '记录不存在或无权查看。' : messageOf(answer)), h('a', {class: 'btn secondary block', href: '#/'}, '返回'));
    return;
  }
  const inspection = answer.data;
  const [photos, terms] = await Promise.all([
    getJson(`/api/v1/inspections/${encodeURIComponent(id)}/photos`), vocabulary()]);
  const byTarget = {};
  for (const photo of photos.ok ? photos.data : []) (byTarget[photo.target] ||= []).push(photo.id);
  let extra = -1;
  const observed = inspection.observed;
  const order = inspection.rectification_order;
  clear(root,
    h('a', {class: 'link', href: '#/'}, '‹ 返回'),
    h('h1', {}, inspection.unit.name),
    h('section', {class: 'card', id: 'inspection'},
      h('p', {class: 'big'}, '检查结果：', resultChip(inspection.result, inspection.result_label)),
      h('dl', {class: 'facts'},
        h('dt', {}, '检查日期'), h('dd', {}, dayLabel(inspection.inspected_on)),
        h('dt', {}, '检查人员'), h('dd', {}, inspection.inspectors.map((i) => i.name).join('、')),
        h('dt', {}, '检查项目'), h('dd', {}, `${inspection.items_checked} 项（重点项 ${inspection.key_items_checked} 项）`),
        h('dt', {}, '发现问题'), h('dd', {}, `${inspection.problems_found} 个`),
        h('dt', {}, '处理'), h('dd', {}, inspection.handling_label),
        order ? [h('dt', {}, '整改期限'), h('dd', {}, `${dayLabel(order.deadline)}（${order.status_label}）`)] : null),
      h('div', {class: 'actions', id: 'downloads'},
        h('a', {class: 'btn secondary', id: 'record-pdf', href: `/api/v1/inspections/${encodeURIComponent(inspection.id)}/record.pdf`,
          download: ''}, '下载检查结果记录表'),
        order ? h('a', {class: 'btn secondary', id: 'notice-pdf', href: `/api/v1/rectification-orders/${order.id}/notice.pdf`,
          download: ''}, '下载责令改正通知书') : null)),
    h('h2', {}, '发现的问题'),
    inspection.findings.length ? h('ul', {class: 'list', id: 'findings'}, inspection.findings.map((f) => {
      const target = f.item ? `item:${f.item}` : `finding:${(extra += 1)}`;
      return h('li', {class: 'pad', dataset: {finding: f.item || target}},
        h('p', {}, f.item ? h('strong', {}, `${f.item} `) : null, f.is_key ? h('span', {class: 'chip key'}, '重点') : null, ' ', f.description),
        h('p', {class: 'muted small'}, f.category_label),
        thumbs(byTarget[target] || []));
    })) : h('p', {class: 'muted'}, '未发现问题。'),
    h('h2', {}, '现场情况'),
    h('dl', {class: 'facts'},
      h('dt', {}, '五常/6T'), h('dd', {}, observed.wuchang_6t ? '已推行' : '未推行'),
      h('dt', {}, 'HACCP/ISO 22000'), h('dd', {}, terms.label('haccp', observed.haccp)),
      h('dt', {}, '明厨亮灶'), h('dd', {}, observed.mingchu.map((m) => terms.label('mingchu', m)).join('、') || '未实施')));
}

for (const button of document.querySelectorAll('[data-action=logout]')) button.addEventListener('click', logout);
window.addEventListener('hashchange', route);
route();
