// Chinese labels for the API's field paths, so an error or a change is shown next to (or
// named as) the field the inspector knows — never as `rectification_order.number`.

const NAMES = {
  id: '检查编号', unit_id: '单位', form_id: '检查表', form_version: '检查表版本', started_at: '检查时间',
  inspectors: '检查人员', answers: '检查项目', observed: '现场情况', extra_findings: '其他问题',
  handling: '处理结果', rectification_order: '责令改正通知书', remarks: '备注', reason: '更正原因',
  base_revision: '所更正的版本', operator_signature: '当事人签名', '': '提交',
  // units registered on site
  client_id: '登记编号', kind: '单位类型', name: '名称', address: '地址', jurisdiction_code: '所在行政区划',
  uscc: '统一社会信用代码', licence_no: '许可证编号',
  // cases
  case_no: '案件编号', inspection_id: '检查记录', filed_on: '立案日期', summary: '案情摘要', decided_on: '处罚决定日期',
  fine_yuan: '罚款金额', confiscated_yuan: '没收违法所得', licence_revoked_on: '吊销许可证日期',
  banned_on: '取缔日期', transferred_on: '移送公安机关日期', criminal_filed_on: '刑事立案日期',
  // the account
  display_name: '姓名', badge_no: '执法证号',
};

const NESTED = {
  'rectification_order.number': '通知书编号', 'rectification_order.deadline': '整改期限',
  'observed.wuchang_6t': '五常/6T', 'observed.haccp': 'HACCP/ISO 22000',
  'observed.haccp_cert_expires_on': '认证证书有效期', 'observed.mingchu': '明厨亮灶',
  'observed.licence_displayed': '许可证公示',
  'operator_signature.image': '当事人签名图片', 'operator_signature.note': '拒签情况说明',
  'operator_signature.state': '当事人签名',
};

const LEAVES = {answer: '结果', note: '说明', category: '类别', description: '描述', name: '姓名', badge_no: '执法证号'};

// "answers.7.4.note" → "检查项目 7.4 说明"; `items` (optional): the checklist's item codes.
export function fieldLabel(path, items = null) {
  if (NESTED[path]) return NESTED[path];
  const parts = path.split('.');
  const head = parts[0];
  if (head === 'answers' && parts.length > 1) {
    const rest = parts.slice(1);
    const leaf = LEAVES[rest[rest.length - 1]] && rest.length > 1 && !/^\d+$/.test(rest[rest.length - 1])
      ? rest.pop() : null;
    const code = rest.join('.');
    const known = !items || items.has(code);
    return `检查项目${known ? ` ${code}` : ''}${leaf ? ` ${LEAVES[leaf]}` : ''}`;
  }
  if ((head === 'extra_findings' || head === 'inspectors') && parts.length > 1 && /^\d+$/.test(parts[1])) {
    const base = head === 'extra_findings' ? `问题 ${Number(parts[1]) + 1}` : `检查人员 ${Number(parts[1]) + 1}`;
    return parts[2] && LEAVES[parts[2]] ? `${base} ${LEAVES[parts[2]]}` : base;
  }
  if (head === 'observed' && parts.length > 1) return NESTED[`observed.${parts[1]}`] || '现场情况';
  return NAMES[head] ?? path;
}

// {"rectification_order.number": ["…"]} → ["通知书编号：…"]
export function describeErrors(flat, items = null) {
  return Object.entries(flat || {}).map(([path, messages]) => `${fieldLabel(path, items)}：${messages.join(' ')}`);
}
