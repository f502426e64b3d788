// A draft inspection: what the inspector has entered so far, saved as they type, and the
// submission document the API takes (POST /api/v1/inspections) built from it.
import {uuid4} from '/static/web/dom.js';
import {deadlineProblem} from './numbers.js';
import {evaluate, items} from './rules.js';
import {all, del, get, put} from './store.js';

export const STEPS = [
  {id: 'info', label: '基本', title: '基本信息', paths: ['id', 'unit_id', 'form_id', 'form_version', 'started_at', 'inspectors']},
  {id: 'checklist', label: '检查', title: '检查项目', paths: ['answers']},
  {id: 'observed', label: '现场', title: '现场情况', paths: ['observed']},
  {id: 'findings', label: '问题', title: '其他问题', paths: ['extra_findings']},
  {id: 'handling', label: '处理', title: '处理与整改', paths: ['handling', 'rectification_order', 'remarks']},
  {id: 'record', label: '记录表', title: '记录表与签名', paths: ['operator_signature']},
  {id: 'review', label: '提交', title: '核对并提交', paths: []},
];

export function stepOfPath(path) {
  const head = path.split('.')[0];
  return (STEPS.find((s) => s.paths.includes(head)) || STEPS[STEPS.length - 1]).id;
}

export function newDraft(user, unit, formKey, companion) {
  const [formId, version] = formKey.split('@');
  return {
    id: uuid4(),
    user_id: user.id,
    unit: {id: unit.id, name: unit.name, kind: unit.kind, kind_label: unit.kind_label,
      school_name: unit.school_name, licence_no: unit.licence_no, jurisdiction_name: unit.jurisdiction_name,
      address: unit.address || '', client_id: unit.client_id || null},
    form_id: formId,
    form_version: Number(version),
    started_at: new Date().toISOString(),
    // The inspector's own name and 执法证号 come from the account (#/profile), never retyped.
    inspectors: [{name: user.display_name, badge_no: user.badge_no || ''}, companion || {name: '', badge_no: ''}],
    answers: {},
    // Start from what is registered for the unit; the inspector confirms or corrects on site.
    observed: {wuchang_6t: unit.wuchang_6t ?? null, haccp: unit.haccp || 'none',
      haccp_cert_expires_on: unit.haccp_cert_expires_on || '', mingchu: [...(unit.mingchu || [])],
      licence_displayed: null},
    findings: [],
    handling: null,
    order: {number: '', deadline: ''},
    remarks: '',
    // The operator's answer to the record shown on the phone (#/draft/<id>/record):
    // {state: 'signed', image} or {state: 'refused', note}, with the content it was given for.
    signature: null,
    errors: {},
    created_at: new Date().toISOString(),
    updated_at: new Date().toISOString(),
  };
}

export const getDraft = (id) => get('drafts', id);
export const deleteDraft = (id) => del('drafts', id);

export async function saveDraft(draft) {
  draft.updated_at = new Date().toISOString();
  await put('drafts', draft);
}

export async function draftsOf(user) {
  return (await all('drafts')).filter((d) => d.user_id === user.id)
    .sort((a, b) => b.updated_at.localeCompare(a.updated_at));
}

export function answerMap(draft) {
  return Object.fromEntries(Object.entries(draft.answers).map(([code, a]) => [code, a.answer]));
}

const blank = (value) => (typeof value === 'string' ? value.trim() : value) || null;
const withPhotos = (object, photos) => (photos && photos.length ? {...object, photo_ids: [...photos]} : object);

// What the operator signs: the document without the signature, as sent. A signature (or a
// refusal) given for other content — the draft was changed after signing — is not sent.
export function signedContent(draft, definition) {
  const {reason, base_revision: base, ...doc} = toSubmission({...draft, signature: null}, definition).doc;
  return JSON.stringify(doc); // a correction's reason is written after signing: not part of the record
}

export function signatureState(draft, definition) {
  const signature = draft.signature;
  if (!signature) return 'none';
  return signature.content === signedContent(draft, definition) ? signature.state : 'stale';
}

// The submission document; its photos are listed with the target each is uploaded for.
export function toSubmission(draft, definition) {
  const answers = items(definition)
    .filter((item) => draft.answers[item.code]?.answer)
    .map((item) => {
      const a = draft.answers[item.code];
      return withPhotos({item: item.code, answer: a.answer, note: blank(a.note)}, a.photos);
    });
  const observed = draft.observed;
  const doc = {
    // A correction (#/inspection/<id>) is a draft of its own that names the stored inspection.
    id: draft.correction ? draft.correction.inspection_id : draft.id,
    // A unit registered on site (offline) has no server id yet: the outbox fills it in.
    unit_id: draft.unit.id ?? null,
    form_id: draft.form_id,
    form_version: draft.form_version,
    started_at: draft.started_at,
    inspectors: draft.inspectors.filter((i) => blank(i.name))
      .map((i) => ({name: i.name.trim(), badge_no: blank(i.badge_no)})),
    answers,
    observed: {
      wuchang_6t: observed.wuchang_6t,
      haccp: observed.haccp,
      haccp_cert_expires_on: observed.haccp === 'certified' ? blank(observed.haccp_cert_expires_on) : null,
      mingchu: observed.mingchu,
      licence_displayed: observed.licence_displayed,
    },
    extra_findings: draft.findings.map((f) =>
      withPhotos({category: f.category, description: f.description.trim()}, f.photos)),
    handling: draft.handling,
    rectification_order: needsOrder(draft) && (blank(draft.order.number) || blank(draft.order.deadline))
      ? {number: blank(draft.order.number), deadline: blank(draft.order.deadline)} : null,
    remarks: blank(draft.remarks),
  };
  if (draft.correction) {
    doc.reason = blank(draft.correction.reason);
    doc.base_revision = draft.correction.base_revision;
  }
  // Absent when not signed on the phone: the body (and its hash) is then what it always was.
  const signature = draft.signature;
  if (signature && signatureState(draft, definition) !== 'stale') {
    doc.operator_signature = signature.state === 'signed'
      ? {state: 'signed', image: signature.image} : {state: 'refused', note: blank(signature.note)};
  }
  const photos = [
    ...answers.flatMap((a) => (a.photo_ids || []).map((id) => ({id, target: `item:${a.item}`}))),
    ...doc.extra_findings.flatMap((f, i) => (f.photo_ids || []).map((id) => ({id, target: `finding:${i}`}))),
  ];
  return {doc, photos};
}

// Server field paths → the draft's own: "answers.3.item" names the 4th answer sent, i.e. an item code.
export function draftErrors(flat, doc) {
  const out = {};
  for (const [path, messages] of Object.entries(flat)) {
    const parts = path.split('.');
    let key = path;
    if (parts[0] === 'answers' && parts.length > 1 && doc.answers[Number(parts[1])]) {
      key = `answers.${doc.answers[Number(parts[1])].item}`;
    } else if (parts[0] === 'extra_findings' && parts.length > 2) {
      key = `extra_findings.${parts[1]}`;
    } else if (parts[0] === 'inspectors' && parts.length > 2) {
      key = `inspectors.${parts[1]}`;
    }
    (out[key] ||= []).push(...messages);
  }
  return out;
}

// 书面限期整改 and 立即停止 come with a written order (number and deadline); 通过 and 当场整改 do not.
export function needsOrder(draft) {
  return draft.handling === 'rectify' || draft.handling === 'stop';
}

// The handling the findings allow, by the server's rule (null when it fits).
export function handlingProblem(draft, definition) {
  const e = evaluate(definition, answerMap(draft), draft.findings.length);
  const problems = e.failed_items.length + draft.findings.length;
  if (draft.handling === 'pass' && problems) {
    return `发现 ${problems} 个问题，处理结果不能为“通过”：当场已改正的请选择“当场整改”，否则请选择“书面限期整改”。`;
  }
  if (draft.handling === 'on_site' && !problems) return '未发现问题，不需要当场整改，请选择“通过”。';
  if (draft.handling === 'stop' && e.answered === e.total && e.result === 'compliant') {
    return '检查结果为符合，不能责令立即停止食品生产经营活动。';
  }
  return null;
}

// What the deadline rule says about the draft's order (null when fine, or no order).
export function orderProblem(draft, rule = {max_days: 366}) {
  if (!needsOrder(draft)) return null;
  const deadline = draft.order.deadline;
  // A correction may keep the deadline it was issued with, even if that day has passed.
  if (draft.correction && deadline && deadline === draft.correction.original_deadline) return null;
  const day = new Date(draft.started_at);
  const pad = (n) => String(n).padStart(2, '0');
  const inspectedOn = `${day.getFullYear()}-${pad(day.getMonth() + 1)}-${pad(day.getDate())}`;
  return deadlineProblem(deadline, inspectedOn, rule);
}

// What still stops the draft from being sent (checked before the server sees it).
export function missing(draft, definition) {
  const problems = [];
  const open = items(definition).filter((item) => !draft.answers[item.code]?.answer);
  if (open.length) problems.push(`还有 ${open.length} 个检查项目未填写：${open.map((i) => i.code).join('、')}`);
  if (!draft.inspectors.some((i) => i.name.trim())) problems.push('请填写检查人员。');
  if (draft.observed.wuchang_6t === null) problems.push('请在“现场”中填写是否推行五常/6T 管理。');
  if (!draft.handling) problems.push('请在“处理”中选择处理结果。');
  if (draft.findings.some((f) => !f.description.trim())) problems.push('“问题”中有未填写说明的问题。');
  draft.findings.forEach((f, i) => { if (!f.category) problems.push(`问题 ${i + 1} 未选择问题类别。`); });
  if (draft.handling && !open.length) {
    const handling = handlingProblem(draft, definition);
    if (handling) problems.push(handling);
  }
  const order = orderProblem(draft, draft.deadline_rule);
  if (order) problems.push(order);
  if (draft.correction && !draft.correction.reason.trim()) problems.push('请填写更正原因。');
  if (signatureState(draft, definition) === 'refused' && !draft.signature.note.trim()) {
    problems.push('当事人拒签时，请在“记录表”中填写拒签情况说明。');
  }
  return problems;
}
