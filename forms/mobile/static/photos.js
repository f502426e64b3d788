// Photos taken for a draft: kept as blobs in IndexedDB until the outbox has uploaded them.
import {uuid4} from '/static/web/dom.js';
import {byOwner, del, get, put} from './store.js';

const LONG_EDGE = 2560;
const SHRINK_ABOVE = 2.5 * 1024 * 1024;

// Large camera pictures are scaled down before they wait for a weak network; small ones stay as taken.
async function shrink(file) {
  if (file.size <= SHRINK_ABOVE || !self.createImageBitmap) return file;
  try {
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, LONG_EDGE / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.88));
    return blob && blob.size < file.size ? blob : file;
  } catch {
    return file;
  }
}

export async function addPhoto(ownerId, file) {
  const blob = await shrink(file);
  const id = uuid4();
  const name = blob === file ? file.name : `${id}.jpg`;
  await put('photos', {id, owner: ownerId, blob, name, type: blob.type, created_at: new Date().toISOString()});
  return id;
}

export const getPhoto = (id) => get('photos', id);
export const removePhoto = (id) => del('photos', id);

export async function removePhotosOf(ownerId) {
  for (const photo of await byOwner(ownerId)) await del('photos', photo.id);
}

const urls = new Map();

// An object URL for a stored photo (kept while the page lives; the blob stays in IndexedDB).
export async function photoUrl(id) {
  if (!urls.has(id)) {
    const photo = await get('photos', id);
    if (!photo) return null;
    urls.set(id, URL.createObjectURL(photo.blob));
  }
  return urls.get(id);
}
