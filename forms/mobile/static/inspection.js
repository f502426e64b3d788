// #/inspection/<id>: a stored inspection with its revisions (who, when, why, what changed) and
// its void, and the two things an inspector may do to it: 更正 (a new revision, based on the one
// shown) and 作废 (with a reason). Both go through the outbox, so they work offline too; the
// last copy seen online is kept so that the screen opens offline.
import {NetworkError, request} from '/static/web/api.js';
import {clear, dayLabel, errorList, h, resultChip, uuid4} from '/static/web/dom.js';
import {cachedVocabulary, definitionFor, getUnit} from './catalog.js';
import {newDraft, saveDraft} from './draft.js';
import {fieldLabel} from './labels.js';
import {enqueueWrite, entriesOf, flush} from './outbox.js';
import {getMeta, setMeta} from './store.js';

const when = (iso) => (iso ? new Date(iso).toLocaleString('zh-CN', {hour12: false}) : '');

async function load(uuid) {
  const cacheKey = `inspection:${uuid}`;
  if (navigator.onLine) {
    try {
      const history = await request(`/api/v1/inspections/${uuid}/history`);
      if (history.status === 404) return {missing: true};
      if (history.ok) {
        const record = history.data.voided ? null : await request(`/api/v1/inspections/${uuid}`);
        const copy = {history: history.data, record: record?.ok ? record.data : null, at: new Date().toISOString()};
        await setMeta(cacheKey, copy);
        return copy;
      }
    } catch (error) {
      if (!(error instanceof NetworkError)) throw error;
    }
  }
  const cached = await getMeta(cacheKey);
  return cached ? {...cached, offline: true} : {offline: true, missing: true};
}

// A change's value as the inspector reads it: answers and handlings by their labels.
function shown(field, value, vocabulary) {
  if (value === null || value === undefined || value === '') return '（空）';
  if (vocabulary && /^answers\..+\.answer$/.test(field)) return vocabulary.label('answer', value);
  if (vocabulary && field === 'handling') return vocabulary.label('handling', value);
  if (field.startsWith('operator_signature')) return signatureShown(field, value, vocabulary);
  if (Array.isArray(value) || typeof value === 'object') return JSON.stringify(value);
  if (value === true) return '是';
  if (value === false) return '否';
  return String(value);
}

// The operator's signature in a revision's changes: its state, never the hash as such.
function signatureShown(field, value, vocabulary) {
  const state = typeof value === 'object' ? value.state : field.endsWith('.state') ? value : null;
  if (state) return vocabulary ? vocabulary.label('signature_state', state) : state;
  if (field.endsWith('.image_sha256')) return `签名图片 ${String(value).slice(0, 8)}`;
  return String(value);
}

function revisionItem(revision, vocabulary) {
  const first = revision.revision === 1;
  return h('li', {class: 'revision', dataset: {revision: String(revision.revision)}},
    h('p', {}, h('strong', {}, `第 ${revision.revision} 版`), ' ',
      h('span', {class: `chip ${first ? 'neutral' : 'basic'}`}, first ? '提交' : '更正')),
    h('p', {class: 'small'}, `${revision.created_by} · ${when(revision.created_at)}`),
    revision.reason ? h('p', {}, `原因：${revision.reason}`) : null,
    revision.changes.length ? h('ul', {class: 'changes small'}, revision.changes.map((change) => h('li', {},
      `${fieldLabel(change.field)}：${shown(change.field, change.from, vocabulary)} → ${shown(change.field, change.to, vocabulary)}`)))
      : null);
}

export async function showInspection(root, user, uuid) {
  clear(root, h('p', {class: 'muted pad'}, '正在加载…'));
  const [loaded, vocabulary, entries] = await Promise.all([load(uuid), cachedVocabulary(), entriesOf(user)]);
  const waiting = entries.filter((e) => e.status === 'pending' &&
    ((e.kind === 'correction' && e.doc.id === uuid) || (e.kind === 'void' && e.target === uuid)));
  if (loaded.missing) {
    clear(root, h('h1', {}, '检查记录'),
      h('p', {class: 'card bad'}, loaded.offline ? '离线，且本机没有保存该记录，请联网后查看。' : '该检查记录不存在或不在您的辖区内。'),
      h('a', {class: 'btn secondary block', href: '#/'}, '返回首页'));
    return;
  }
  const {history, record} = loaded;
  const voided = history.voided;
  const actions = h('div', {id: 'record-actions'});
  const canChange = user.role === 'inspector' && !voided && !waiting.length && record;
  if (canChange) {
    actions.append(
      h('button', {class: 'btn block', type: 'button', id: 'correct', onclick: () => startCorrection(user, record)}, '更正此记录'),
      voidForm(user, history, () => showInspection(root, user, uuid)));
  }
  clear(root,
    h('h1', {}, '检查记录', h('span', {class: 'sub'}, history.unit.name)),
    loaded.offline ? h('p', {class: 'card warn'}, `当前离线：显示 ${when(loaded.at)} 保存的内容。`) : null,
    voided ? h('section', {class: 'card bad', id: 'voided'},
      h('h2', {}, '已作废'),
      h('p', {}, `${history.deleted_by || ''} · ${when(history.deleted_at)}`),
      h('p', {}, `原因：${history.delete_reason}`)) : null,
    h('section', {class: 'card'},
      h('dl', {class: 'facts'},
        h('dt', {}, '检查日期'), h('dd', {}, dayLabel(history.inspected_on)),
        h('dt', {}, '检查结果'), h('dd', {}, resultChip(history.result, history.result_label)),
        h('dt', {}, '处理'), h('dd', {}, history.handling_label),
        h('dt', {}, '当前版本'), h('dd', {id: 'current-revision'}, `第 ${history.revision} 版`),
        record?.rectification_order ? [h('dt', {}, '通知书'), h('dd', {}, record.rectification_order.number)] : null,
        record ? [h('dt', {}, '当事人'), h('dd', {id: 'record-signature'},
          record.operator_signature ? record.operator_signature.state_label : '未在手机上签名')] : null),
      record?.findings?.length ? h('ul', {class: 'small'}, record.findings.map((f) =>
        h('li', {}, f.item ? `${f.item} ` : '', f.description, `（${f.category_label}）`))) : null),
    printActions(uuid, record, loaded.offline),
    waiting.length ? h('p', {class: 'card warn', id: 'waiting'},
      waiting.map((e) => (e.kind === 'void' ? '作废' : '更正')).join('、'), ' 已保存在本机，联网后自动发送。') : null,
    actions,
    h('h2', {}, '修改记录'),
    h('ol', {class: 'list', id: 'history'},
      history.revisions.map((revision) => revisionItem(revision, vocabulary)),
      voided ? h('li', {class: 'revision', dataset: {revision: 'void'}},
        h('p', {}, h('strong', {}, '作废'), ' ', h('span', {class: 'chip noncompliant'}, '作废')),
        h('p', {class: 'small'}, `${history.deleted_by || ''} · ${when(history.deleted_at)}`),
        h('p', {}, `原因：${history.delete_reason}`)) : null),
    user.role === 'inspector' && !voided
      ? h('a', {class: 'btn secondary block', href: `#/case/new?unit=${history.unit.id}&inspection=${uuid}`}, '据此立案') : null,
    h('a', {class: 'btn secondary block', href: '#/'}, '返回首页'));
}

// The printed 监督检查结果记录表 (and the 责令改正通知书 when one was ordered), rendered by the
// server from the revision in force: the operator gets it on paper or on their phone.
export function printActions(uuid, record, offline) {
  if (offline) return h('p', {class: 'muted small', id: 'print-offline'}, '记录表 PDF 需联网后打开。');
  const order = record?.rectification_order;
  return h('div', {class: 'actions', id: 'print-actions'},
    h('a', {class: 'btn secondary', id: 'print-record', href: `/api/v1/inspections/${uuid}/record.pdf`,
      target: '_blank', rel: 'noopener'}, '打印/分享记录表'),
    order ? h('a', {class: 'btn secondary', id: 'print-notice', href: `/api/v1/rectification-orders/${order.id}/notice.pdf`,
      target: '_blank', rel: 'noopener'}, '责令改正通知书') : null,
    h('a', {class: 'link', href: `/records/${uuid}`, target: '_blank', rel: 'noopener'}, '网页版（打印）'));
}

function voidForm(user, history, repaint) {
  const reason = h('textarea', {id: 'void-reason', name: 'void-reason'});
  const problems = h('div', {class: 'field-errors'});
  const form = h('section', {class: 'card bad', id: 'void-form', hidden: true},
    h('h2', {}, '作废此记录'),
    h('p', {class: 'small'}, '作废后该记录不再计入统计和清单，但保留可查，不能恢复；该检查编号不能再次提交。'),
    h('label', {for: 'void-reason'}, '作废原因（必填）'), reason, problems,
    h('button', {class: 'btn danger block', type: 'button', id: 'confirm-void', onclick: async () => {
      const text = reason.value.trim();
      if (!text) {
        problems.replaceChildren(...errorList(['请填写作废原因。']));
        return;
      }
      await enqueueWrite(user, {id: `void-${history.id}`, kind: 'void', target: history.id,
        unit_name: `作废：${history.unit.name}`, doc: {reason: text}});
      await flush({force: true});
      repaint();
    }}, '确认作废'));
  const open = h('button', {class: 'btn secondary block', type: 'button', id: 'void', onclick: () => {
    form.hidden = false;
    form.dataset.noRefresh = ''; // keep the reason being typed through background outbox updates
    open.hidden = true;
    reason.focus();
  }}, '作废此记录');
  return h('div', {}, open, form);
}

// A correction starts as a draft holding the stored record, based on the revision shown.
async function startCorrection(user, record) {
  const definition = await definitionFor(record.form_id, record.form_version);
  if (!definition) {
    alert('该检查表尚未下载，请联网后打开本应用再更正。');
    return;
  }
  const unit = (await getUnit(record.unit.id)) || record.unit;
  const draft = newDraft(user, unit, `${record.form_id}@${record.form_version}`, null);
  const order = record.rectification_order;
  Object.assign(draft, {
    id: uuid4(),
    started_at: record.started_at,
    inspectors: record.inspectors.map((i) => ({name: i.name, badge_no: i.badge_no || ''})),
    answers: Object.fromEntries(record.answers.map((a) => [a.item, {answer: a.answer, note: a.note || '', photos: []}])),
    observed: {...record.observed, haccp_cert_expires_on: record.observed.haccp_cert_expires_on || ''},
    findings: record.findings.filter((f) => !f.item).map((f) => ({category: f.category, description: f.description, photos: []})),
    handling: record.handling,
    order: order ? {number: order.number, deadline: order.deadline} : {number: '', deadline: ''},
    remarks: record.remarks || '',
    correction: {inspection_id: record.id, base_revision: record.revision, reason: '',
      original_deadline: order ? order.deadline : null},
  });
  await saveDraft(draft);
  location.hash = `#/draft/${draft.id}/checklist`;
}
