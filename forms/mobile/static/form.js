// The inspection form, one step per screen, rendered from the checklist definition and shown
// with the labels of the server's vocabularies (answers, HACCP, 明厨亮灶, categories, handlings,
// results), which the app keeps with the definitions. Every change is saved to the draft at once
// (IndexedDB), so a reload or a closed browser loses nothing.
import {NetworkError, request} from '/static/web/api.js';
import {clear, dayLabel, errorList, h, resultChip} from '/static/web/dom.js';
import {
  STEPS, answerMap, handlingProblem, missing, needsOrder, orderProblem, saveDraft, signatureState, stepOfPath,
} from './draft.js';
import {fieldLabel} from './labels.js';
import {addDays, deadlineRule, isoDay, takeNumber} from './numbers.js';
import {addPhoto, photoUrl, removePhoto} from './photos.js';
import {recordStep} from './record.js';
import {evaluate} from './rules.js';

const SIGNATURE_STATES = {
  signed: '已在手机上签名', none: '未在手机上签名（可在纸质记录表上签名）',
  stale: '签名后记录有改动，签名已失效，请重新签名',
};
const TWO_INSPECTORS = '根据《食品生产经营监督检查管理办法》第二十三条，监督检查应由 2 名以上检查人员实施。';

// vocabulary: a Vocabulary (/static/web/vocabulary.js); ctx: {go(stepId), submit(), discard()}
export function renderDraft(root, draft, definition, vocabulary, stepId, ctx) {
  const step = STEPS.find((s) => s.id === stepId) || STEPS[0];
  const save = () => saveDraft(draft);
  const form = {draft, definition, vocabulary, save, ctx, root};
  const body = {
    info: infoStep, checklist: checklistStep, observed: observedStep,
    findings: findingsStep, handling: handlingStep, record: recordStep, review: reviewStep,
  }[step.id](form);
  const index = STEPS.indexOf(step);
  const next = STEPS[index + 1];
  clear(root,
    h('h1', {}, draft.correction ? `更正：${step.title}` : step.title, h('span', {class: 'sub'}, draft.unit.name,
      draft.correction ? `（基于第 ${draft.correction.base_revision} 版）` : '')),
    body,
    next ? h('button', {class: 'btn block', type: 'button', onclick: () => ctx.go(next.id)}, `下一步：${next.title}`) : null,
    stepNav(draft, step));
}

function stepNav(draft, current) {
  const withErrors = new Set(Object.keys(draft.errors || {}).map(stepOfPath));
  return h('nav', {class: 'steps', 'aria-label': '检查步骤'},
    STEPS.map((s) => h('a', {
      href: `#/draft/${draft.id}/${s.id}`, class: s === current ? 'current' : null,
      'aria-current': s === current ? 'step' : null, dataset: {step: s.id},
    }, s.label, withErrors.has(s.id) ? h('span', {class: 'dot', 'aria-label': '有错误'}, '!') : null)));
}

// --- helpers -----------------------------------------------------------------------------

function errorsAt(form, path) {
  return h('div', {class: 'field-errors', dataset: {errorsFor: path}}, errorList(form.draft.errors?.[path]));
}

function forget(form, path) {
  if (form.draft.errors?.[path]) {
    delete form.draft.errors[path];
    for (const slot of form.root.querySelectorAll('[data-errors-for]')) {
      if (slot.dataset.errorsFor === path) slot.replaceChildren();
    }
  }
}

// A row of exclusive choices (是/否/…) as big buttons; `onPick(value)` after the state changes.
function choices(options, current, onPick, label) {
  const group = h('div', {class: 'choices', role: 'group', 'aria-label': label});
  const paint = (value) => {
    for (const button of group.children) button.setAttribute('aria-pressed', String(button.dataset.value === String(value)));
  };
  for (const [value, text] of options) {
    group.append(h('button', {
      type: 'button', class: 'choice', dataset: {value: String(value)},
      onclick: () => { paint(value); onPick(value); },
    }, text));
  }
  paint(current);
  group.paint = paint;
  return group;
}

function textField(form, {id, label, value, path, onInput, multiline = false, type = 'text', hint}) {
  const input = h(multiline ? 'textarea' : 'input', {id, name: id, type: multiline ? null : type, value: value ?? ''});
  input.addEventListener('input', () => {
    onInput(input.value);
    forget(form, path);
    form.save();
  });
  return h('div', {class: 'field', dataset: {path}},
    h('label', {for: id}, label), hint ? h('p', {class: 'muted small'}, hint) : null, input, errorsAt(form, path));
}

// Thumbnails of a target's photos, and the button that takes more (camera on a phone).
function photoField(form, list, label) {
  const thumbs = h('div', {class: 'thumbs'});
  const paint = async () => {
    const nodes = [];
    for (const id of list) {
      const url = await photoUrl(id);
      if (!url) continue;
      nodes.push(h('div', {class: 'thumb'}, h('img', {src: url, alt: '现场照片'}),
        h('button', {type: 'button', 'aria-label': '删除照片', onclick: async () => {
          list.splice(list.indexOf(id), 1);
          await form.save();
          await removePhoto(id);
          paint();
        }}, '×')));
    }
    thumbs.replaceChildren(...nodes);
  };
  const input = h('input', {type: 'file', accept: 'image/*', capture: 'environment', multiple: true, 'aria-label': label});
  input.addEventListener('change', async () => {
    for (const file of input.files) list.push(await addPhoto(form.draft.id, file));
    input.value = '';
    await form.save();
    paint();
  });
  paint();
  return h('div', {class: 'photos'}, thumbs,
    h('label', {class: 'btn secondary file-btn'}, `＋ ${label}`, input));
}

// --- steps -------------------------------------------------------------------------------

function infoStep(form) {
  const {draft, definition} = form;
  const unit = draft.unit;
  const started = h('span', {}, new Date(draft.started_at).toLocaleString('zh-CN', {hour12: false}));
  const people = h('div');
  const paintPeople = () => {
    people.replaceChildren(...draft.inspectors.map((person, i) => h('fieldset', {class: 'person', dataset: {path: `inspectors.${i}`}},
      h('legend', {}, `检查人员 ${i + 1}`),
      textField(form, {id: `inspector-${i}-name`, label: '姓名', value: person.name, path: `inspectors.${i}`,
        onInput: (v) => { person.name = v; }}),
      textField(form, {id: `inspector-${i}-badge`, label: '执法证号', value: person.badge_no, path: `inspectors.${i}.badge_no`,
        onInput: (v) => { person.badge_no = v; }}),
      draft.inspectors.length > 1 ? h('button', {class: 'link', type: 'button', onclick: async () => {
        draft.inspectors.splice(i, 1);
        await form.save();
        paintPeople();
      }}, '移除') : null)));
  };
  paintPeople();
  const orders = h('div');
  showOpenOrders(orders, unit.id);
  return h('div', {},
    h('section', {class: 'card'},
      h('dl', {class: 'facts'},
        h('dt', {}, '单位'), h('dd', {}, unit.name),
        h('dt', {}, '类型'), h('dd', {}, unit.kind_label),
        unit.school_name ? [h('dt', {}, '学校'), h('dd', {}, unit.school_name)] : null,
        h('dt', {}, '许可证'), h('dd', {}, unit.licence_no || '无'),
        h('dt', {}, '检查表'), h('dd', {}, `${definition.title}（第 ${definition.version} 版）`),
        h('dt', {}, '开始'), h('dd', {}, started)),
      h('button', {class: 'link', type: 'button', onclick: async () => {
        draft.started_at = new Date().toISOString();
        forget(form, 'started_at');
        await form.save();
        started.textContent = new Date(draft.started_at).toLocaleString('zh-CN', {hour12: false});
      }}, '开始时间改为现在'),
      errorsAt(form, 'started_at'), errorsAt(form, 'unit_id'), errorsAt(form, 'form_id'), errorsAt(form, 'id')),
    h('h2', {}, '检查人员'),
    h('p', {class: 'muted small'}, TWO_INSPECTORS),
    errorsAt(form, 'inspectors'),
    people,
    h('button', {class: 'btn secondary', type: 'button', onclick: async () => {
      draft.inspectors.push({name: '', badge_no: ''});
      await form.save();
      paintPeople();
    }}, '＋ 添加检查人员'),
    orders);
}

// At a re-inspection: the unit's open orders and what the school reported (online only).
async function showOpenOrders(slot, unitId) {
  if (!unitId) return; // a unit registered on site, not yet on the server
  let answer;
  try {
    answer = await request(`/api/v1/rectification-orders?unit_id=${unitId}&per_page=20`);
  } catch (error) {
    if (error instanceof NetworkError) return;
    throw error;
  }
  const open = (answer.ok ? answer.data.items : []).filter((o) => o.status !== 'closed');
  if (!open.length) return;
  slot.append(h('h2', {}, '未销号的整改通知'), ...open.map((order) => h('section', {class: 'card warn'},
    h('p', {}, h('strong', {}, order.number), ` · ${order.status_label}`),
    h('p', {}, `整改期限：${dayLabel(order.deadline)}`, order.overdue ? '（已逾期）' : ''),
    h('ul', {}, order.findings.map((f) => h('li', {}, f.item ? `${f.item} ` : '', f.description))),
    order.reports.map((report) => h('div', {class: 'report'},
      h('p', {}, h('strong', {}, '学校整改报告：'), report.text),
      h('div', {class: 'thumbs'}, (report.photo_ids || []).map((id) =>
        h('a', {class: 'thumb', href: `/api/v1/photos/${id}/image`, target: '_blank'},
          h('img', {src: `/api/v1/photos/${id}/thumbnail`, alt: '整改照片'})))))))));
}

function summaryBar(form) {
  const bar = h('div', {class: 'summary', role: 'status', 'aria-live': 'polite'});
  const paint = () => {
    const e = evaluate(form.definition, answerMap(form.draft), form.draft.findings.length);
    bar.replaceChildren(h('span', {}, '结果 '), resultOrUnfinished(e, form.vocabulary),
      h('span', {class: 'count'}, ` 已填 ${e.answered}/${e.total}`));
  };
  paint();
  return {bar, paint};
}

// No grade until every item is answered: an empty checklist is "未填完", never a green 符合.
function resultOrUnfinished(e, vocabulary) {
  return e.answered < e.total ? h('span', {class: 'chip neutral', id: 'unfinished'}, '未填完')
    : resultChip(e.result, vocabulary.label('result', e.result));
}

function checklistStep(form) {
  const {draft, definition} = form;
  const summary = summaryBar(form);
  const sections = definition.sections.map((section) => h('section', {class: 'section'},
    h('h2', {}, `${section.code} ${section.title}`),
    section.items.map((item) => itemBlock(form, item, summary.paint))));
  return h('div', {},
    summary.bar,
    errorsAt(form, 'answers'),
    h('button', {class: 'btn secondary block', type: 'button', onclick: async () => {
      // Updated in place (no re-render), so a tap right after it lands on the live form.
      for (const block of form.root.querySelectorAll('.item[data-item]')) {
        const answer = (draft.answers[block.dataset.item] ||= {answer: null, note: '', photos: []});
        if (answer.answer) continue;
        answer.answer = 'yes';
        block.dataset.answer = 'yes';
        block.querySelector('.choices').paint('yes');
        forget(form, `answers.${block.dataset.item}`);
      }
      forget(form, 'answers');
      summary.paint();
      await form.save();
    }}, '未填项目全部设为“是”'),
    sections);
}

function itemBlock(form, item, repaint) {
  const {draft} = form;
  const path = `answers.${item.code}`;
  const state = () => (draft.answers[item.code] ||= {answer: null, note: '', photos: []});
  const current = draft.answers[item.code] || {answer: null, note: '', photos: []};
  const note = textField(form, {id: `note-${item.code}`, label: '情况说明', value: current.note, path: `${path}.note`,
    multiline: true, onInput: (v) => { state().note = v; }});
  const noteToggle = h('button', {class: 'link', type: 'button', onclick: () => {
    note.hidden = false;
    noteToggle.hidden = true;
  }}, '添加说明');
  const showNote = () => {
    note.hidden = !(state().answer === 'no' || state().note);
    noteToggle.hidden = !note.hidden;
  };
  const block = h('div', {class: 'item', id: `item-${item.code}`, dataset: {item: item.code, path}},
    h('p', {class: 'item-text'}, h('strong', {}, item.code), ' ',
      item.key ? h('span', {class: 'chip key'}, '重点') : null, ' ',
      (draft.last_failed || []).includes(item.code) ? h('span', {class: 'chip neutral last-failed'}, '上次不合格') : null,
      ' ', item.text),
    choices(form.vocabulary.options('answer'), current.answer, async (value) => {
      state().answer = value;
      block.dataset.answer = value;
      forget(form, path);
      showNote();
      repaint();
      await form.save();
    }, `${item.code} 检查结果`),
    errorsAt(form, path),
    note, noteToggle,
    photoField(form, state().photos, '拍照'));
  if (current.answer) block.dataset.answer = current.answer;
  showNote();
  return block;
}

function observedStep(form) {
  const observed = form.draft.observed;
  const pick = (key) => async (value) => {
    observed[key] = value;
    forget(form, `observed.${key}`);
    await form.save();
  };
  const expiry = textField(form, {id: 'haccp-expiry', label: '认证证书有效期至', type: 'date',
    value: observed.haccp_cert_expires_on, path: 'observed.haccp_cert_expires_on',
    onInput: (v) => { observed.haccp_cert_expires_on = v; }});
  expiry.hidden = observed.haccp !== 'certified';
  const modes = h('div', {class: 'choices', role: 'group', 'aria-label': '明厨亮灶方式'},
    form.vocabulary.options('mingchu').map(([value, label]) => {
      const button = h('button', {type: 'button', class: 'choice', dataset: {value},
        'aria-pressed': String(observed.mingchu.includes(value))}, label);
      button.addEventListener('click', async () => {
        const on = !observed.mingchu.includes(value);
        observed.mingchu = on ? [...observed.mingchu, value] : observed.mingchu.filter((m) => m !== value);
        button.setAttribute('aria-pressed', String(on));
        forget(form, 'observed.mingchu');
        await form.save();
      });
      return button;
    }));
  return h('div', {},
    h('div', {class: 'field', dataset: {path: 'observed.wuchang_6t'}},
      h('h2', {}, '推行五常/6T 管理'),
      choices([[true, '是'], [false, '否']], observed.wuchang_6t, pick('wuchang_6t'), '五常/6T 管理'),
      errorsAt(form, 'observed.wuchang_6t')),
    h('div', {class: 'field', dataset: {path: 'observed.haccp'}},
      h('h2', {}, 'HACCP / ISO 22000'),
      choices(form.vocabulary.options('haccp'), observed.haccp, async (value) => {
        expiry.hidden = value !== 'certified';
        await pick('haccp')(value);
      }, 'HACCP/ISO 22000'),
      errorsAt(form, 'observed.haccp'),
      expiry),
    h('div', {class: 'field', dataset: {path: 'observed.mingchu'}},
      h('h2', {}, '明厨亮灶'),
      h('p', {class: 'muted small'}, '可多选；都不选表示未实施。'),
      modes, errorsAt(form, 'observed.mingchu')),
    h('div', {class: 'field', dataset: {path: 'observed.licence_displayed'}},
      h('h2', {}, '许可证公示'),
      choices([[true, '已公示'], [false, '未公示'], [null, '未查看']], observed.licence_displayed,
        pick('licence_displayed'), '许可证公示'),
      errorsAt(form, 'observed.licence_displayed')),
    errorsAt(form, 'observed'));
}

function findingsStep(form) {
  const {draft} = form;
  const categories = form.vocabulary.options('category').filter(([value]) => value !== 'distribution' || draft.unit.kind === 'supplier');
  const list = h('div');
  const paint = () => {
    list.replaceChildren(...draft.findings.map((finding, i) => {
      const path = `extra_findings.${i}`;
      // No default: the category feeds the statistics' C rows, so the inspector picks it.
      const select = h('select', {id: `finding-${i}-category`, required: true},
        h('option', {value: '', selected: finding.category ? null : true, disabled: true}, '请选择问题类别'),
        categories.map(([value, label]) => h('option', {value, selected: value === finding.category ? true : null}, label)));
      select.addEventListener('change', async () => {
        finding.category = select.value;
        forget(form, path);
        await form.save();
      });
      return h('section', {class: 'card', dataset: {path, finding: String(i)}},
        h('h3', {}, `问题 ${i + 1}`),
        h('label', {for: `finding-${i}-category`}, '问题类别（必选）'), select, errorsAt(form, `${path}.category`),
        textField(form, {id: `finding-${i}-description`, label: '问题描述', value: finding.description,
          path: `${path}.description`, multiline: true, onInput: (v) => { finding.description = v; }}),
        errorsAt(form, path),
        photoField(form, finding.photos, '拍照'),
        h('button', {class: 'link', type: 'button', onclick: async () => {
          draft.findings.splice(i, 1);
          await form.save();
          paint();
        }}, '删除此问题'));
    }));
  };
  paint();
  return h('div', {},
    h('p', {class: 'muted'}, '检查表以外发现的问题，每个计为一个不合格的一般项目。检查表中答“否”的项目会自动计为问题，无需在此重复填写。'),
    errorsAt(form, 'extra_findings'),
    list,
    h('button', {class: 'btn secondary block', type: 'button', onclick: async () => {
      draft.findings.push({category: '', description: '', photos: []});
      await form.save();
      paint();
    }}, '＋ 添加问题'));
}

function handlingStep(form) {
  const {draft, definition} = form;
  const handlingHint = h('div', {class: 'field-errors', id: 'handling-problem'});
  const deadlineHint = h('div', {class: 'field-errors', id: 'deadline-problem'});
  const numberShown = h('output', {id: 'order-number', class: 'order-number'}, draft.order.number || '发送时由系统生成');
  const deadline = h('input', {id: 'order-deadline', name: 'order-deadline', type: 'date', value: draft.order.deadline || ''});
  const check = () => {
    const problem = draft.handling ? handlingProblem(draft, definition) : null;
    handlingHint.replaceChildren(...errorList(problem ? [problem] : []));
    const late = orderProblem(draft, draft.deadline_rule);
    deadlineHint.replaceChildren(...errorList(draft.order.deadline && late ? [late] : []));
  };
  deadline.addEventListener('input', async () => {
    draft.order.deadline = deadline.value;
    forget(form, 'rectification_order.deadline');
    check();
    await form.save();
  });
  const order = h('section', {class: 'card', id: 'order'},
    h('h2', {}, '责令改正通知书'),
    h('div', {class: 'field', dataset: {path: 'rectification_order.number'}},
      h('p', {class: 'label'}, '通知书编号'), numberShown,
      h('p', {class: 'muted small'}, '编号由系统生成（本机已预留本辖区编号，离线也可使用），不可手工填写。'),
      errorsAt(form, 'rectification_order.number'),
      draft.errors?.['rectification_order.number'] ? h('button', {class: 'btn secondary', type: 'button', id: 'next-number',
        onclick: async (event) => {
          draft.order.number = (await takeNumber({id: draft.user_id})) || '';
          numberShown.textContent = draft.order.number || '发送时由系统生成';
          forget(form, 'rectification_order.number');
          event.target.hidden = true;
          await form.save();
        }}, '换用下一个编号') : null),
    h('div', {class: 'field', dataset: {path: 'rectification_order.deadline'}},
      h('label', {for: 'order-deadline'}, '整改期限'), deadline, deadlineHint,
      errorsAt(form, 'rectification_order.deadline')),
    errorsAt(form, 'rectification_order'));
  const prepareOrder = async () => {
    const rule = await deadlineRule();
    draft.deadline_rule = rule;
    if (!draft.order.deadline) {
      draft.order.deadline = addDays(isoDay(new Date(draft.started_at)), rule.default_days);
      deadline.value = draft.order.deadline;
    }
    if (!draft.order.number && !draft.correction) {
      draft.order.number = (await takeNumber({id: draft.user_id})) || '';
      numberShown.textContent = draft.order.number || '发送时由系统生成';
    }
    check();
    await form.save();
  };
  order.hidden = !needsOrder(draft);
  if (needsOrder(draft)) prepareOrder();
  check();
  return h('div', {},
    h('div', {class: 'field', dataset: {path: 'handling'}},
      h('h2', {}, '处理结果'),
      h('p', {class: 'muted small'}, '通过：未发现问题。当场整改：发现的问题已在现场改正，不下达通知书。书面限期整改：下达责令改正通知书。'),
      h('div', {class: 'stacked'}, choices(form.vocabulary.options('handling'), draft.handling, async (value) => {
        draft.handling = value;
        order.hidden = !needsOrder(draft);
        forget(form, 'handling');
        forget(form, 'rectification_order');
        if (needsOrder(draft)) await prepareOrder();
        check();
        await form.save();
      }, '处理结果')),
      handlingHint,
      errorsAt(form, 'handling')),
    order,
    textField(form, {id: 'remarks', label: '备注', value: draft.remarks, path: 'remarks', multiline: true,
      onInput: (v) => { draft.remarks = v; }}));
}

function reviewStep(form) {
  const {draft, definition, vocabulary, ctx} = form;
  const e = evaluate(definition, answerMap(draft), draft.findings.length);
  const byCode = Object.fromEntries(definition.sections.flatMap((s) => s.items).map((i) => [i.code, i]));
  const blockers = missing(draft, definition);
  const problems = e.failed_items.length + draft.findings.length;
  const warnings = draft.inspectors.filter((i) => i.name.trim()).length < 2 ? [TWO_INSPECTORS] : [];
  const serverErrors = Object.entries(draft.errors || {});
  const button = h('button', {class: 'btn block', type: 'button', id: 'submit', disabled: blockers.length ? true : null,
    onclick: async () => {
      button.disabled = true;
      button.textContent = '正在提交…';
      await ctx.submit();
    }}, draft.correction ? '提交更正' : '提交检查结果');
  const reason = draft.correction ? textField(form, {id: 'correction-reason', label: '更正原因（必填）',
    value: draft.correction.reason, path: 'reason', multiline: true, onInput: (v) => {
      draft.correction.reason = v;
      const blocked = missing(draft, definition).length > 0;
      button.disabled = blocked ? true : null;
    }}) : null;
  return h('div', {},
    serverErrors.length ? h('section', {class: 'errors-box', role: 'alert', id: 'server-errors'},
      h('h2', {}, '服务器退回，请修改：'),
      h('ul', {}, serverErrors.map(([path, messages]) => h('li', {},
        h('a', {href: linkTo(draft, path)}, fieldLabel(path, new Set(Object.keys(byCode)))), '：', messages.join(' '))))) : null,
    h('section', {class: `card result ${e.result}`, id: 'result'},
      h('p', {class: 'big'}, '检查结果：', resultOrUnfinished(e, vocabulary)),
      h('dl', {class: 'facts'},
        h('dt', {}, '检查项目'), h('dd', {}, `${e.items_checked} 项（重点项 ${e.key_items_checked} 项）`),
        h('dt', {}, '重点项不合格'), h('dd', {}, `${e.key_items_failed} 项`),
        h('dt', {}, '一般项合格率'), h('dd', {}, e.general_pass_rate === null ? '—' : `${e.general_pass_rate}%`),
        h('dt', {}, '发现问题'), h('dd', {}, `${problems} 个`),
        h('dt', {}, '处理'), h('dd', {}, draft.handling ? vocabulary.label('handling', draft.handling) : '未选择'),
        h('dt', {}, '当事人'), h('dd', {id: 'review-signature'}, h('a', {href: `#/draft/${draft.id}/record`},
          signatureLine(draft, definition, vocabulary))))),
    e.failed_items.length ? [h('h2', {}, '不合格项目'), h('ul', {class: 'failed'},
      e.failed_items.map((code) => h('li', {}, h('a', {href: `#/draft/${draft.id}/checklist/${code}`, dataset: {code}},
        `${code} ${byCode[code].key ? '（重点）' : ''}${byCode[code].text}`))))] : null,
    blockers.length ? h('section', {class: 'card bad'}, h('h2', {}, '尚不能提交'),
      h('ul', {}, blockers.map((m) => h('li', {}, m)))) : null,
    warnings.map((w) => h('p', {class: 'card warn'}, w)),
    reason,
    button,
    h('p', {class: 'muted small'}, '提交后先保存在本机“待发送”中，联网时自动发送；离线也可以提交。'),
    h('button', {class: 'link', type: 'button', onclick: ctx.discard}, '删除此草稿'));
}

function signatureLine(draft, definition, vocabulary) {
  const state = signatureState(draft, definition);
  return state === 'refused' ? vocabulary.label('signature_state', 'refused') : SIGNATURE_STATES[state];
}

function linkTo(draft, path) {
  const parts = path.split('.');
  const item = parts[0] === 'answers' && parts.length > 1 ? `/${parts.slice(1).join('.').replace(/\.note$/, '')}` : '';
  return `#/draft/${draft.id}/${stepOfPath(path)}${item}`;
}
