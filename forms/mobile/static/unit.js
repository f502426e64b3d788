// The unit page (#/unit/<id>): licence, registration, schools or suppliers, open orders with the
// schools' reports, past inspections, cases. Online from GET /units/<id>/dossier (kept for
// offline); offline from that copy, or at least from the unit list of the last sync.
import {NetworkError, request} from '/static/web/api.js';
import {clear, dayLabel, h, resultChip} from '/static/web/dom.js';
import {getUnit} from './catalog.js';
import {getMeta, keepRecent} from './store.js';

const LICENCE = /[A-Z]{2}[0-9]{14}/;

async function loadDossier(id) {
  if (navigator.onLine) {
    try {
      const answer = await request(`/api/v1/units/${id}/dossier`);
      if (answer.ok) {
        await keepRecent('dossiers', `dossier:${id}`, {at: new Date().toISOString(), data: answer.data});
        return {data: answer.data, at: null};
      }
      if (answer.status === 404) return {missing: true};
    } catch (error) {
      if (!(error instanceof NetworkError)) throw error;
    }
  }
  const kept = await getMeta(`dossier:${id}`);
  if (kept) return {data: kept.data, at: kept.at};
  const unit = await getUnit(Number(id));
  return unit ? {data: {unit, open_orders: [], inspections: [], cases: [], serves: [], served_by: [], partial: true}, at: null} : {missing: true};
}

function fact(label, value) {
  return value || value === 0 ? [h('dt', {}, label), h('dd', {}, value)] : null;
}

function thumbs(ids, alt) {
  if (!ids?.length) return null;
  return h('div', {class: 'thumbs'}, ids.map((id) => h('a', {class: 'thumb', href: `/api/v1/photos/${id}/image`, target: '_blank'},
    h('img', {src: `/api/v1/photos/${id}/thumbnail`, alt, loading: 'lazy'}))));
}

export function orderCard(order, {link = true} = {}) {
  return h('section', {class: `card ${order.overdue ? 'bad' : 'warn'}`, dataset: {order: String(order.id)}},
    h('p', {}, h('strong', {}, order.number), ' ', h('span', {class: 'chip neutral small'}, order.status_label),
      order.overdue ? h('span', {class: 'chip noncompliant small'}, '已逾期') : null),
    h('p', {class: 'small'}, `下达 ${dayLabel(order.issued_on)} · 期限 ${dayLabel(order.deadline)}`),
    h('ul', {class: 'small'}, (order.findings || []).map((f) => h('li', {}, f.item ? `${f.item} ` : '', f.description,
      f.rectified === true ? '（已整改）' : f.rectified === false ? '（未整改）' : ''))),
    (order.reports || []).map((report) => h('div', {class: 'report'},
      h('p', {}, h('strong', {}, '整改报告：'), report.text),
      thumbs(report.photo_ids, '整改照片'))),
    link ? h('a', {class: 'btn block', href: `#/order/${order.id}`}, '查看并复查') : null);
}

function inspectionRow(inspection) {
  const failed = (inspection.findings || []);
  return h('li', {dataset: {inspection: inspection.id}},
    h('a', {class: 'row-button', href: `#/inspection/${inspection.id}`},
      h('strong', {}, dayLabel(inspection.inspected_on), ' ', resultChip(inspection.result, inspection.result_label),
        inspection.revision > 1 ? h('span', {class: 'chip neutral small'}, `已更正 ${inspection.revision - 1} 次`) : null),
      h('span', {class: 'muted small'}, `${inspection.handling_label} · 发现问题 ${inspection.problems_found} 个`,
        inspection.rectification_order ? ` · ${inspection.rectification_order.number}（${inspection.rectification_order.status_label}）` : '')),
    failed.length ? h('ul', {class: 'small'}, failed.map((f) => h('li', {}, f.item ? `${f.item} ` : '', f.description))) : null,
    thumbs(inspection.photo_ids, '检查照片'));
}

function caseRow(item) {
  const stages = [['立案', item.filed_on], ['处罚决定', item.decided_on], ['吊销许可证', item.licence_revoked_on],
    ['取缔', item.banned_on], ['移送', item.transferred_on], ['刑事立案', item.criminal_filed_on]].filter(([, d]) => d);
  return h('li', {class: 'pad'}, h('strong', {}, item.case_no),
    h('p', {class: 'small'}, stages.map(([label, day]) => `${label} ${dayLabel(day)}`).join(' · ')),
    item.fine_yuan ? h('p', {class: 'small'}, `罚款 ${item.fine_yuan} 元`) : null);
}

export async function showUnit(root, user, id, {startDraft}) {
  clear(root, h('p', {class: 'muted pad'}, '正在加载…'));
  const {data, at, missing} = await loadDossier(id);
  if (missing) {
    clear(root, h('p', {class: 'card bad'}, '单位不存在或不在您的辖区内。'), h('a', {class: 'btn secondary block', href: '#/tasks'}, '返回'));
    return;
  }
  const {unit} = data;
  const last = unit.last_inspection;
  const licence = unit.licence_no
    ? [unit.licence_no, ' ', h('span', {class: `chip ${unit.licence_status === 'valid' ? 'compliant' : 'noncompliant'} small`}, unit.licence_status_label)]
    : h('span', {class: 'chip noncompliant small'}, '无许可证');
  clear(root,
    h('h1', {id: 'unit-name'}, unit.name, h('span', {class: 'sub'}, [unit.kind_label, unit.short_name, unit.jurisdiction_name].filter(Boolean).join(' · '))),
    at || data.partial ? h('p', {class: 'card warn small', id: 'unit-offline'}, data.partial
      ? '离线：只显示上次同步的单位信息，联网后可查看完整档案。'
      : `离线：显示 ${new Date(at).toLocaleString('zh-CN', {hour12: false})} 保存的档案。`) : null,
    h('dl', {class: 'facts', id: 'unit-facts'},
      fact('许可证', licence),
      fact('有效期', unit.licence_expires_on ? `${dayLabel(unit.licence_issued_on)} 至 ${dayLabel(unit.licence_expires_on)}` : null),
      fact('地址', unit.address), fact('信用代码', unit.uscc),
      fact('所属学校', data.school?.name || unit.school_name),
      fact('供餐学校', data.serves?.length ? data.serves.map((s) => s.name).join('、') : null),
      fact('供餐单位', data.served_by?.length ? data.served_by.map((s) => s.name).join('、') : null),
      fact('上次检查', last ? [dayLabel(last.date), ' ', resultChip(last.result, last.result_label)] : '从未检查'),
      fact('未销号通知', String(unit.open_orders ?? 0))),
    h('div', {class: 'actions'},
      h('button', {class: 'btn', type: 'button', id: 'start-inspection', onclick: () => startDraft(unit)}, '开始检查'),
      h('a', {class: 'btn secondary', href: `#/case/new?unit=${unit.id}`}, '立案')),
    data.open_orders?.length ? [h('h2', {}, '未销号的整改通知'), data.open_orders.map((o) => orderCard(o))] : null,
    data.partial ? null : [
      h('h2', {}, `检查记录（共 ${data.inspections_total} 次）`),
      data.inspections.length ? h('ul', {class: 'list', id: 'history'}, data.inspections.map(inspectionRow)) : h('p', {class: 'muted'}, '暂无检查记录。'),
      data.inspections_total > data.inspections.length ? h('p', {class: 'muted small'}, `仅显示最近 ${data.inspections.length} 次。`) : null,
      h('h2', {}, '案件'),
      data.cases.length ? h('ul', {class: 'list', id: 'cases'}, data.cases.map(caseRow)) : h('p', {class: 'muted'}, '暂无案件。')],
    h('a', {class: 'btn secondary block', href: '#/tasks'}, '返回'));
  window.scrollTo(0, 0);
}

// The licence's QR code holds its number: read it with the camera where the browser can
// (BarcodeDetector); `onNumber` gets the number. Returns null where there is no detector.
export function scanButton(onNumber) {
  if (!('BarcodeDetector' in window) || !navigator.mediaDevices?.getUserMedia) return null;
  return h('button', {class: 'btn secondary', type: 'button', id: 'scan-licence', onclick: () => scan(onNumber)}, '扫许可证二维码');
}

async function scan(onNumber) {
  let stream;
  const video = h('video', {playsinline: true, muted: true, style: 'width:100%'});
  const close = h('button', {class: 'btn secondary block', type: 'button'}, '取消');
  const sheet = h('div', {class: 'card scan', role: 'dialog', 'aria-label': '扫描许可证二维码'}, video, close);
  let stop = false;
  const done = () => {
    stop = true;
    stream?.getTracks().forEach((t) => t.stop());
    sheet.remove();
  };
  close.addEventListener('click', done);
  document.getElementById('app').prepend(sheet);
  try {
    stream = await navigator.mediaDevices.getUserMedia({video: {facingMode: 'environment'}});
    video.srcObject = stream;
    await video.play();
    const detector = new window.BarcodeDetector({formats: ['qr_code']});
    while (!stop) {
      const codes = await detector.detect(video);
      const match = codes.map((c) => LICENCE.exec(c.rawValue || '')).find(Boolean);
      if (match) {
        done();
        onNumber(match[0]);
        return;
      }
      await new Promise((resolve) => { setTimeout(resolve, 250); });
    }
  } catch {
    done();
    alert('无法使用摄像头，请直接输入许可证编号。');
  }
}
