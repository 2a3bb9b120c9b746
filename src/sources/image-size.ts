/**
 * The pixel size a PNG or JPEG declares, read from its header without decoding it: an image is
 * checked against `maxPixels` before any decoder allocates its pixels (a small file can declare
 * 20000x20000, and the pure-JS decoders would allocate all of it).
 */

export interface DeclaredSize {
  readonly format: 'png' | 'jpeg';
  readonly width: number;
  readonly height: number;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The declared size, or a description of why the bytes are no PNG or JPEG we can size. */
export function declaredImageSize(bytes: Uint8Array): DeclaredSize | string {
  if (PNG_SIGNATURE.every((byte, k) => bytes[k] === byte)) return pngSize(bytes);
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return jpegSize(bytes);
  return 'neither a PNG nor a JPEG signature';
}

function pngSize(bytes: Uint8Array): DeclaredSize | string {
  // The first chunk must be IHDR: length (4), type (4), width (4), height (4), big-endian.
  if (bytes.length < 24) return `PNG ends after ${bytes.length} bytes, before its IHDR chunk`;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const type = String.fromCharCode(...bytes.subarray(12, 16));
  if (type !== 'IHDR') return `PNG's first chunk is '${type}', expected 'IHDR'`;
  return { format: 'png', width: view.getUint32(16), height: view.getUint32(20) };
}

/** Start-of-frame markers carry the size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but do not. */
const isStartOfFrame = (marker: number) => marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;

function jpegSize(bytes: Uint8Array): DeclaredSize | string {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  let offset = 2;
  while (offset + 4 <= bytes.length) {
    if (bytes[offset] !== 0xff) return `JPEG marker expected at byte ${offset}, found 0x${bytes[offset]!.toString(16)}`;
    const marker = bytes[offset + 1]!;
    if (marker === 0xff) {
      offset++; // fill byte
      continue;
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      offset += 2; // markers without a segment
      continue;
    }
    if (marker === 0xda || marker === 0xd9) break; // scan data or end before any frame header
    const length = view.getUint16(offset + 2);
    if (isStartOfFrame(marker)) {
      if (offset + 9 > bytes.length) break;
      return { format: 'jpeg', height: view.getUint16(offset + 5), width: view.getUint16(offset + 7) };
    }
    if (length < 2) return `JPEG segment at byte ${offset} has length ${length}`;
    offset += 2 + length;
  }
  return 'JPEG without a frame header (SOF) before its image data';
}
