// The system's vocabularies (answers, results, handlings, categories, roles, …): codes, Chinese
// labels and display order, defined once on the server (foodsafety/vocabulary.py) and served at
// GET /api/v1/forms/vocabulary. Pages and the phone show these labels and never restate one.
import {request} from './api.js';

export const VOCABULARY_PATH = '/api/v1/forms/vocabulary';

export class Vocabulary {
  // `terms`: the server's answer, {name: [{code, label}, …]}.
  constructor(terms) {
    this.terms = terms;
  }

  // [[code, label], …] of one vocabulary, in display order.
  options(name) {
    return (this.terms[name] || []).map(({code, label}) => [code, label]);
  }

  // The label of `code` (the code itself for one the server did not send).
  label(name, code) {
    return (this.terms[name] || []).find((term) => term.code === code)?.label ?? code;
  }
}

let loading = null;

// For the online pages: fetched once per page load. Rejects with the answer when it is not 200.
export function vocabulary() {
  loading ||= request(VOCABULARY_PATH).then((answer) => {
    if (!answer.ok) throw Object.assign(new Error(`vocabulary: ${answer.status}`), {answer});
    return new Vocabulary(answer.data);
  });
  loading.catch(() => { loading = null; });
  return loading;
}
