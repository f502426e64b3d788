// The 监督检查结果记录表 of a draft, on screen before it is sent (offline too): the same facts as
// the PDF the server prints after sync (unit, time in China Standard Time, inspectors, every item
// with its answer and note, the problems, the result and its counts, the handling, the order),
// and the operator's answer to it — a signature drawn with a finger (or a mouse) on a canvas, or
// 拒签 with the inspectors' note. The answer is kept with the content it was given for: if the
// draft changes afterwards, the phone asks for a new one (draft.js, signatureState).
import {clear, h} from '/static/web/dom.js';
import {cachedVocabulary, definitionFor} from './catalog.js';
import {answerMap, needsOrder, signatureState, signedContent} from './draft.js';
import {evaluate, items} from './rules.js';
import {get} from './store.js';

// The largest signature the server takes is 1600×800 px and 200 KB (foodsafety/records/signature.py):
// the canvas is drawn at most twice its CSS size, which stays far below both.
const MAX_SCALE = 2;
const MAX_DATA_URL = 200 * 1024 * 4 / 3;

// "2026-11-30T01:30:00Z" → "2026年11月30日 09:30" (CST, as the PDF prints it).
export function cstTime(iso) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('zh-CN', {
    timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).formatToParts(new Date(iso)).map((p) => [p.type, p.value]));
  return `${parts.year}年${parts.month}月${parts.day}日 ${parts.hour}:${parts.minute}`;
}

// "2026-12-07" → "2026年12月07日"
const cstDay = (iso) => (iso ? `${iso.slice(0, 4)}年${iso.slice(5, 7)}月${iso.slice(8, 10)}日` : '');

const inspectorsOf = (draft) => draft.inspectors.filter((i) => i.name.trim());

// The record as a sheet of paper would say it, from the local draft.
export function draftRecord(draft, definition, vocabulary) {
  const answers = answerMap(draft);
  const e = evaluate(definition, answers, draft.findings.length);
  const byCode = Object.fromEntries(items(definition).map((item) => [item.code, item]));
  const problems = [
    ...e.failed_items.map((code) => {
      const note = draft.answers[code]?.note?.trim();
      return `${code} ${note || byCode[code].text}（${vocabulary.label('category', byCode[code].category)}）`;
    }),
    ...draft.findings.map((f) => `${f.description.trim()}（${vocabulary.label('category', f.category)}）`),
  ];
  const people = inspectorsOf(draft);
  const order = needsOrder(draft) ? draft.order : null;
  const row = (label, value) => h('tr', {}, h('th', {}, label), h('td', {}, value || '—'));
  const number = draft.correction ? draft.correction.inspection_id : draft.id;
  return h('article', {class: 'record-sheet', id: 'draft-record'},
    h('p', {class: 'draft-banner'}, '草稿：尚未上传。上传后以系统生成的记录表（PDF，附核验二维码）为准。'),
    h('h2', {class: 'record-title'}, '监督检查结果记录表'),
    h('p', {class: 'small muted'}, `检查表：${definition.title}（第 ${definition.version} 版）`, h('br'),
      `检查编号：${number}`),
    h('table', {class: 'record-fields'}, h('tbody', {},
      row('被检查单位', draft.unit.name),
      row('地址', draft.unit.address),
      row('许可证编号', draft.unit.licence_no || '无'),
      row('单位类型', draft.unit.kind_label),
      row('检查时间', cstTime(draft.started_at)),
      row('检查人员', people.map((p) => `${p.name.trim()}（执法证号：${p.badge_no?.trim() || '未登记'}）`).join('；')))),
    h('h3', {}, '检查内容'),
    h('table', {class: 'record-items'},
      h('thead', {}, h('tr', {}, h('th', {}, '序号'), h('th', {}, '检查项目（* 为重点项）'), h('th', {}, '结果'))),
      h('tbody', {}, items(definition).map((item) => {
        const answer = answers[item.code];
        const note = draft.answers[item.code]?.note?.trim();
        return h('tr', {class: answer === 'no' ? 'failed' : null, dataset: {item: item.code}},
          h('td', {}, item.code),
          h('td', {}, `${item.key ? '*' : ''}${item.text}`, note ? h('span', {class: 'note'}, `说明：${note}`) : null),
          h('td', {}, answer ? vocabulary.label('answer', answer) : '未填'));
      }))),
    h('h3', {}, '发现的问题'),
    problems.length ? h('ol', {id: 'record-problems'}, problems.map((p) => h('li', {}, p))) : h('p', {}, '未发现问题。'),
    h('h3', {}, '检查结果'),
    h('p', {id: 'record-result'}, '检查结果：', h('strong', {}, e.answered < e.total ? '未填完' : vocabulary.label('result', e.result)),
      `。本次检查项目 ${e.items_checked} 项，其中重点项 ${e.key_items_checked} 项（不符合 ${e.key_items_failed} 项）；`,
      `发现问题 ${problems.length} 项。`),
    h('p', {id: 'record-handling'}, '结果处理：', h('strong', {}, draft.handling ? vocabulary.label('handling', draft.handling) : '未选择'), '。',
      order ? `责令改正通知书编号：${order.number || '发送时由系统生成'}，整改期限：${cstDay(order.deadline)}。` : ''),
    draft.remarks.trim() ? h('p', {}, `备注：${draft.remarks.trim()}`) : null,
    h('p', {class: 'small'}, '根据《食品生产经营监督检查管理办法》第三十五条、第三十九条，本记录表当场交被检查单位，'
      + '由其张贴于醒目位置至下次检查；检查结果将于 20 个工作日内向社会公开。'),
    h('p', {class: 'small'}, `检查人员：${people.map((p) => p.name.trim()).join('、') || '—'}`));
}

// The record step: the sheet, then the operator's answer (sign, or 拒签 with a note).
export function recordStep(form) {
  const {draft, definition, vocabulary, save} = form;
  const answer = h('section', {class: 'card', id: 'operator-answer'});
  let signing = false; // the canvas is open
  const paint = () => {
    const state = signatureState(draft, definition);
    const stale = state === 'stale';
    const mode = stale ? null : draft.signature?.state || null;
    const keep = async (signature) => {
      draft.signature = signature ? {...signature, content: signedContent(draft, definition)} : null;
      for (const key of Object.keys(draft.errors || {})) if (key.startsWith('operator_signature')) delete draft.errors[key];
      await save();
    };
    const modes = h('div', {class: 'choices', role: 'group', 'aria-label': '当事人签名'},
      [['signed', '当事人签名'], ['refused', vocabulary.label('signature_state', 'refused')]].map(([value, text]) => h('button', {
        type: 'button', class: 'choice', dataset: {value}, 'aria-pressed': String(mode === value),
        onclick: async () => {
          if (mode === value) return;
          await keep(value === 'refused' ? {state: 'refused', note: ''} : null);
          signing = value === 'signed';
          paint();
        },
      }, text)));
    const errors = Object.entries(draft.errors || {}).filter(([key]) => key.startsWith('operator_signature'))
      .flatMap(([, messages]) => messages);
    clear(answer,
      h('h2', {}, '被检查单位负责人签名'),
      stale ? h('p', {class: 'card warn', id: 'signature-stale'}, '签名后记录表内容有改动，原签名（或拒签）已失效，请当事人重新签名。') : null,
      modes,
      errors.map((m) => h('p', {class: 'error', role: 'alert'}, m)),
      mode === 'signed' ? signedView(draft, async () => {
        await keep(null);
        signing = true;
        paint();
      }) : null,
      !mode && (signing || stale) ? signaturePad(async (image) => {
        await keep({state: 'signed', image});
        signing = false;
        paint();
      }) : null,
      mode === 'refused' ? refusalView(draft, save) : null,
      !mode && !signing && !stale ? h('p', {class: 'muted small', id: 'signature-none'},
        `请当事人阅读上面的记录表后签名；当事人拒绝签名的，选择“${vocabulary.label('signature_state', 'refused')}”并记录情况。`
        + '也可以不在手机上签名，在打印的记录表上签名。') : null);
  };
  paint();
  return h('div', {}, draftRecord(draft, definition, vocabulary), answer);
}

function signedView(draft, clearIt) {
  return h('div', {class: 'signed', id: 'signature-done'},
    h('img', {src: draft.signature.image, alt: '当事人签名', class: 'signature-image'}),
    h('p', {class: 'small'}, '当事人已签名，随检查记录一并提交，提交后不能更改。'),
    h('button', {class: 'btn secondary', type: 'button', id: 'signature-redo', onclick: clearIt}, '清除并重新签名'));
}

function refusalView(draft, save) {
  const note = h('textarea', {id: 'refusal-note', name: 'refusal-note', value: draft.signature.note || '',
    placeholder: '如：负责人王某阅读记录表后拒绝签名，称……'});
  note.addEventListener('input', () => {
    draft.signature.note = note.value;
    save();
  });
  const people = inspectorsOf(draft).map((p) => p.name.trim()).join('、');
  return h('div', {class: 'field', id: 'refusal'},
    h('label', {for: 'refusal-note'}, '拒签情况说明（检查人员填写，必填）'), note,
    h('p', {class: 'small'}, `在场检查人员：${people || '—'}（将记载于记录表）`));
}

// A canvas to sign on with a finger, a stylus or a mouse (Pointer Events); `onDone(dataUrl)`.
export function signaturePad(onDone) {
  const canvas = h('canvas', {class: 'signature-pad', id: 'signature-pad', 'aria-label': '签名区域：请用手指在此签名'});
  const hint = h('p', {class: 'muted small'}, '请在框内签名');
  const problem = h('p', {class: 'error', role: 'alert', hidden: true});
  let ink = false;
  let last = null;
  let context = null;
  const size = () => {
    const box = canvas.getBoundingClientRect();
    const scale = Math.min(window.devicePixelRatio || 1, MAX_SCALE);
    canvas.width = Math.round(box.width * scale);
    canvas.height = Math.round(box.height * scale);
    context = canvas.getContext('2d');
    context.scale(scale, scale);
    context.lineCap = 'round';
    context.lineJoin = 'round';
    context.lineWidth = 2.6;
    context.strokeStyle = '#111';
    ink = false;
  };
  const at = (event) => {
    const box = canvas.getBoundingClientRect();
    return [event.clientX - box.left, event.clientY - box.top];
  };
  canvas.addEventListener('pointerdown', (event) => {
    if (!context) size();
    event.preventDefault();
    canvas.setPointerCapture?.(event.pointerId);
    last = at(event);
    context.beginPath();
    context.arc(last[0], last[1], context.lineWidth / 2, 0, Math.PI * 2);
    context.fillStyle = '#111';
    context.fill();
    ink = true;
    hint.hidden = true;
  });
  canvas.addEventListener('pointermove', (event) => {
    if (!last) return;
    event.preventDefault();
    const point = at(event);
    context.beginPath();
    context.moveTo(...last);
    context.lineTo(...point);
    context.stroke();
    last = point;
  });
  const end = () => { last = null; };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
  const clearButton = h('button', {class: 'btn secondary', type: 'button', id: 'signature-clear', onclick: () => {
    size();
    hint.hidden = false;
    problem.hidden = true;
  }}, '清除');
  const done = h('button', {class: 'btn', type: 'button', id: 'signature-save', onclick: () => {
    if (!ink) {
      problem.textContent = '请先在框内签名。';
      problem.hidden = false;
      return;
    }
    const image = canvas.toDataURL('image/png');
    if (image.length > MAX_DATA_URL) {
      problem.textContent = '签名图片过大，请清除后重新签名。';
      problem.hidden = false;
      return;
    }
    onDone(image);
  }}, '确认签名');
  // Sized once it is on screen (its CSS box decides the pixels).
  requestAnimationFrame(() => { if (canvas.isConnected) size(); });
  return h('div', {class: 'pad-wrap'}, canvas, hint, problem, h('div', {class: 'actions'}, clearButton, done));
}

// #/record/<outbox entry id>: a submitted inspection's record as the phone holds it, with the
// signature (or refusal) it carries, until the server's PDF can be opened.
export async function showEntryRecord(root, user, id) {
  const entry = await get('outbox', id);
  const back = h('a', {class: 'btn secondary block', href: '#/outbox'}, '返回已提交的记录');
  if (!entry || entry.user_id !== user.id || !entry.draft) {
    clear(root, h('h1', {}, '记录表'), h('p', {class: 'card bad'}, '本机没有这条记录。'), back);
    return;
  }
  const draft = entry.draft;
  const [definition, vocabulary] = await Promise.all([definitionFor(draft.form_id, draft.form_version), cachedVocabulary()]);
  if (!definition || !vocabulary) {
    clear(root, h('h1', {}, '记录表'), h('p', {class: 'card bad'}, '检查表尚未下载，请联网后打开本应用。'), back);
    return;
  }
  const sent = entry.doc.operator_signature;
  const people = inspectorsOf(draft).map((p) => p.name.trim()).join('、');
  clear(root,
    h('h1', {}, '记录表', h('span', {class: 'sub'}, draft.unit.name)),
    h('p', {class: 'muted small'}, entry.status === 'sent' ? '已发送；联网后可打开正式记录表（PDF）。'
      : '尚未发送：联网后自动发送，之后可打开正式记录表（PDF）。'),
    draftRecord(draft, definition, vocabulary),
    h('section', {class: 'card', id: 'operator-answer'},
      h('h2', {}, '被检查单位负责人签名'),
      sent?.state === 'signed' ? h('img', {src: sent.image, alt: '当事人签名', class: 'signature-image'}) : null,
      sent?.state === 'refused' ? [h('p', {}, h('strong', {}, vocabulary.label('signature_state', 'refused'))),
        h('p', {}, `拒签情况说明（检查人员记录）：${sent.note}`), h('p', {}, `在场检查人员：${people}`)] : null,
      sent ? null : h('p', {class: 'muted'}, '未在手机上签名（可在纸质记录表上签名）。')),
    back);
}
