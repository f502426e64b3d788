// Photos taken for a draft: kept as blobs in IndexedDB until the outbox has uploaded them.
import {uuid4} from '/static/web/dom.js';
import {byOwner, del, get, put} from './store.js';

// The server keeps photos at most 2048 px on the long edge, re-encoded at quality 85
// (foodsafety/photos/processing.py): anything larger would travel over a weak network only to
// be thrown away there. Quality 0.8 at that size still shows what evidence needs (a label's small
// print, a licence number) and is about a quarter smaller than 0.85 (the benchmark's noisy 12-MP
// picture: 424 KB instead of 574 KB, three seconds less at 400 kbit/s).
const LONG_EDGE = 2048;
const QUALITY = 0.8;

// Camera pictures are scaled down to what the server keeps before they wait for a weak network;
// the capture time (EXIF, or else the file's own time) goes into the smaller JPEG.
async function shrink(file) {
  if (!self.createImageBitmap) return file;
  try {
    const bitmap = await createImageBitmap(file); // upright: EXIF orientation applied
    const long = Math.max(bitmap.width, bitmap.height);
    if (long <= LONG_EDGE) return file; // already what the server keeps: sent as taken
    const scale = LONG_EDGE / long;
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close?.();
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', QUALITY));
    if (!blob || blob.size >= file.size) return file;
    const {localCaptureTime, readCaptureTime, withCaptureTime} = await import('./exif.js');
    const capture = readCaptureTime(await file.slice(0, 128 * 1024).arrayBuffer())
      || (file.lastModified ? localCaptureTime(file.lastModified) : null);
    return await withCaptureTime(blob, capture);
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
