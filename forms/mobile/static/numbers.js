// Order numbers (责令改正通知书编号) for use offline: while online the phone reserves a block of
// its county's numbers for this year (POST /api/v1/rectification-orders/number-blocks); each new
// order takes the next one, so two phones never issue the same number and none is reused.
// Also the deadline rule the server applies, checked before anything reaches the outbox.
import {NetworkError, request} from '/static/web/api.js';
import {uuid4} from '/static/web/dom.js';
import {getMeta, setMeta} from './store.js';

const LOW = 5; // reserve more when fewer numbers than this are left
const BLOCK = 20;

export async function deviceId() {
  let id = await getMeta('deviceId');
  if (!id) {
    id = uuid4();
    await setMeta('deviceId', id);
  }
  return id;
}

const key = (user) => `orderNumbers:${user.id}`;

export async function numbersLeft(user) {
  return ((await getMeta(key(user), {numbers: []})).numbers || []).length;
}

// Reserve a block when running low (online only; quietly does nothing offline).
export async function topUpNumbers(user) {
  if (!user || user.role !== 'inspector' || !navigator.onLine) return;
  const held = await getMeta(key(user), {numbers: []});
  const year = new Date().getFullYear();
  const current = (held.numbers || []).filter(() => held.year === year);
  if (current.length >= LOW) return;
  let answer;
  try {
    answer = await request('/api/v1/rectification-orders/number-blocks', {
      method: 'POST', json: {device_id: await deviceId(), size: BLOCK}});
  } catch (error) {
    if (error instanceof NetworkError) return;
    throw error;
  }
  if (!answer.ok) return;
  await setMeta(key(user), {year: answer.data.year, numbers: [...current, ...answer.data.numbers]});
  await setMeta('deadlineRule', {default_days: answer.data.default_deadline_days, max_days: answer.data.max_deadline_days});
}

// The next number of this phone's block, taken for good (null when none is left: the server
// then issues one when the order arrives).
export async function takeNumber(user) {
  const held = await getMeta(key(user), {numbers: []});
  const number = (held.numbers || []).shift() || null;
  if (number) await setMeta(key(user), held);
  return number;
}

export async function deadlineRule() {
  return getMeta('deadlineRule', {default_days: 15, max_days: 366});
}

export function isoDay(date) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

export function addDays(iso, days) {
  const [y, m, d] = iso.split('-').map(Number);
  return isoDay(new Date(y, m - 1, d + days));
}

// Why `deadline` is not acceptable for an inspection made on `inspectedOn` (null when it is).
export function deadlineProblem(deadline, inspectedOn, rule) {
  if (!deadline) return '请填写整改期限。';
  const today = isoDay(new Date());
  if (deadline < inspectedOn) return '整改期限不能早于检查日期。';
  if (deadline < today) return '整改期限不能早于今天。';
  if (deadline > addDays(inspectedOn, rule.max_days)) return `整改期限不能超过检查日期后 ${rule.max_days} 天。`;
  return null;
}
