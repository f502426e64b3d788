// Chinese labels of the inspection vocabularies (mirrors foodsafety/inspections/labels.py).
export const ANSWERS = [['yes', '是'], ['no', '否'], ['na', '合理缺项']];
export const HACCP = [['none', '未建立'], ['established', '已建立'], ['certified', '已通过认证']];
export const MINGCHU = [['transparent', '透明式'], ['video', '视频式'], ['internet', '互联网式']];
export const HANDLINGS = [
  ['pass', '通过'],
  ['rectify', '书面限期整改'],
  ['stop', '食品生产经营者立即停止食品生产经营活动'],
];
export const CATEGORIES = [
  ['raw_material', '原料进货查验把关不严格'],
  ['processing', '食品加工制作行为不规范'],
  ['cleaning', '餐具用具清洗消毒不彻底'],
  ['environment', '加工制作环境不清洁'],
  ['distribution', '食品分餐配送过程不合规'],
  ['other', '其他食品安全问题'],
];
export const TWO_INSPECTORS = '根据《食品生产经营监督检查管理办法》第二十三条，监督检查应由 2 名以上检查人员实施。';
