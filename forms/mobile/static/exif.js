// The capture time of a camera JPEG, read before the phone re-encodes it (a canvas drops EXIF)
// and written back into the smaller JPEG, so that the server still records when it was taken.
// Only DateTimeOriginal and OffsetTimeOriginal travel: nothing else (GPS, maker notes) is kept.

const EXIF_IFD = 0x8769;
const DATE_TIME_ORIGINAL = 0x9003;
const OFFSET_TIME_ORIGINAL = 0x9011;

function ascii(view, offset, length) {
  let text = '';
  for (let i = 0; i < length && offset + i < view.byteLength; i++) {
    const code = view.getUint8(offset + i);
    if (!code) break;
    text += String.fromCharCode(code);
  }
  return text;
}

// {date: 'YYYY:MM:DD HH:MM:SS', offset: '+08:00' | null} from a JPEG's EXIF, or null.
export function readCaptureTime(buffer) {
  const view = new DataView(buffer);
  if (view.byteLength < 4 || view.getUint16(0) !== 0xFFD8) return null;
  let at = 2;
  while (at + 4 <= view.byteLength && view.getUint8(at) === 0xFF) {
    const marker = view.getUint8(at + 1);
    const size = view.getUint16(at + 2);
    if (marker === 0xDA || marker === 0xD9) break; // image data: no EXIF before it
    if (marker === 0xE1 && ascii(view, at + 4, 4) === 'Exif') return readTiff(view, at + 10);
    at += 2 + size;
  }
  return null;
}

function readTiff(view, tiff) {
  try {
    const little = view.getUint16(tiff) === 0x4949;
    const u16 = (o) => view.getUint16(tiff + o, little);
    const u32 = (o) => view.getUint32(tiff + o, little);
    const entries = (ifd) => Array.from({length: u16(ifd)}, (_, i) => ifd + 2 + i * 12);
    const exif = entries(u32(4)).find((e) => u16(e) === EXIF_IFD);
    if (exif === undefined) return null;
    const found = {};
    for (const entry of entries(u32(exif + 8))) {
      const count = u32(entry + 4);
      const value = count <= 4 ? entry + 8 : u32(entry + 8);
      if (u16(entry) === DATE_TIME_ORIGINAL) found.date = ascii(view, tiff + value, count);
      if (u16(entry) === OFFSET_TIME_ORIGINAL) found.offset = ascii(view, tiff + value, count);
    }
    return /^\d{4}:\d\d:\d\d \d\d:\d\d:\d\d$/.test(found.date || '')
      ? {date: found.date, offset: /^[+-]\d\d:\d\d$/.test(found.offset || '') ? found.offset : null} : null;
  } catch {
    return null; // a broken EXIF block only costs the capture time
  }
}

// The phone's local time of `millis` (a file's lastModified) as EXIF writes it.
export function localCaptureTime(millis) {
  const d = new Date(millis);
  const pad = (n) => String(n).padStart(2, '0');
  const minutes = -d.getTimezoneOffset();
  const sign = minutes >= 0 ? '+' : '-';
  return {
    date: `${d.getFullYear()}:${pad(d.getMonth() + 1)}:${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`,
    offset: `${sign}${pad(Math.floor(Math.abs(minutes) / 60))}:${pad(Math.abs(minutes) % 60)}`,
  };
}

// An APP1 segment holding only the capture time (little-endian TIFF: IFD0 → Exif IFD).
function app1(capture) {
  const tags = [[DATE_TIME_ORIGINAL, `${capture.date}\0`]];
  if (capture.offset) tags.push([OFFSET_TIME_ORIGINAL, `${capture.offset}\0`]);
  const exifIfd = 8 + 2 + 12 + 4;
  let data = exifIfd + 2 + tags.length * 12 + 4;
  const tiffSize = data + tags.reduce((sum, [, text]) => sum + text.length, 0);
  const bytes = new Uint8Array(10 + tiffSize);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, 0xFFE1);
  view.setUint16(2, bytes.length - 2);
  bytes.set([0x45, 0x78, 0x69, 0x66, 0, 0], 4); // "Exif\0\0"
  const tiff = 10;
  bytes.set([0x49, 0x49, 0x2A, 0x00], tiff);
  view.setUint32(tiff + 4, 8, true);
  view.setUint16(tiff + 8, 1, true); // IFD0: one entry, the Exif IFD's offset
  view.setUint16(tiff + 10, EXIF_IFD, true);
  view.setUint16(tiff + 12, 4, true); // LONG
  view.setUint32(tiff + 14, 1, true);
  view.setUint32(tiff + 18, exifIfd, true);
  view.setUint16(tiff + exifIfd, tags.length, true);
  tags.forEach(([tag, text], i) => {
    const entry = tiff + exifIfd + 2 + i * 12;
    view.setUint16(entry, tag, true);
    view.setUint16(entry + 2, 2, true); // ASCII
    view.setUint32(entry + 4, text.length, true);
    view.setUint32(entry + 8, data, true);
    for (let j = 0; j < text.length; j++) bytes[tiff + data + j] = text.charCodeAt(j);
    data += text.length;
  });
  return bytes;
}

// `jpeg` (a Blob from canvas.toBlob) with the capture time inserted right after its SOI marker.
export async function withCaptureTime(jpeg, capture) {
  if (!capture) return jpeg;
  const body = new Uint8Array(await jpeg.arrayBuffer());
  if (body[0] !== 0xFF || body[1] !== 0xD8) return jpeg;
  return new Blob([body.subarray(0, 2), app1(capture), body.subarray(2)], {type: 'image/jpeg'});
}
