// The administrator's desk screens: users, the import, and the registry's forms. The layout
// (account, navigation, logout) is the desk's; each screen is its own module over the JSON API.
import {NetworkError, logout} from './api.js';
import {Vocabulary, vocabulary} from './vocabulary.js';
import {body} from './admin-common.js';
import {importsScreen} from './admin-imports.js';
import {linkEndForm, linkForm, schoolForm, unitForm} from './admin-registry.js';
import {usersScreen} from './admin-users.js';

for (const button of document.querySelectorAll('[data-action=logout]')) button.addEventListener('click', logout);

async function start() {
  let terms = new Vocabulary({});
  try {
    terms = await vocabulary();
  } catch (error) {
    if (!(error instanceof NetworkError) && !error.answer) throw error;
  }
  const id = body.dataset.id ? Number(body.dataset.id) : null;
  const screens = {
    users: () => usersScreen(terms),
    imports: () => importsScreen(),
    'school-form': () => schoolForm(terms, id),
    'unit-form': () => unitForm(terms, id),
    'link-form': () => linkForm(),
    'link-end': () => linkEndForm(id),
  };
  return screens[body.dataset.screen]?.();
}

start();
