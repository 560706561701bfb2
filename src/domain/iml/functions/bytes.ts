/** Buffers as text: base64, hex and latin1, by hand (no Node `Buffer` in the workflow sandbox). */
import { ImlFunctionFailure } from '../errors';
import { utf8Decode, utf8Encode } from '../values';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

export function toBase64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i] as number;
    const b = bytes[i + 1];
    const c = bytes[i + 2];
    const n = (a << 16) | ((b ?? 0) << 8) | (c ?? 0);
    out += ALPHABET[(n >> 18) & 63];
    out += ALPHABET[(n >> 12) & 63];
    out += b === undefined ? '=' : ALPHABET[(n >> 6) & 63];
    out += c === undefined ? '=' : ALPHABET[n & 63];
  }
  return out;
}

export function fromBase64(text: string): Uint8Array {
  const clean = text.replace(/[\s=]/g, '').replace(/-/g, '+').replace(/_/g, '/');
  if (/[^A-Za-z0-9+/]/.test(clean)) throw new ImlFunctionFailure('The text is not valid base64.');
  const bytes: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const c of clean) {
    buffer = (buffer << 6) | ALPHABET.indexOf(c);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((buffer >> bits) & 0xff);
    }
  }
  return Uint8Array.from(bytes);
}

export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

export function fromHex(text: string): Uint8Array {
  const clean = text.replace(/\s/g, '');
  if (clean.length % 2 || /[^0-9a-f]/i.test(clean)) throw new ImlFunctionFailure('The text is not valid hex.');
  const bytes = new Uint8Array(clean.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

export function toLatin1(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += String.fromCharCode(b);
  return out;
}

/** Text (or a buffer) as bytes, decoding the text with `encoding` (utf8 when absent). */
export function bytesOf(value: unknown, text: string, encoding?: string): Uint8Array {
  if (value instanceof Uint8Array) return value;
  switch ((encoding ?? '').toLowerCase()) {
    case 'hex':
      return fromHex(text);
    case 'base64':
      return fromBase64(text);
    case 'binary':
    case 'latin1':
      return Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
    default:
      return utf8Encode(text);
  }
}

export function encodeBytes(bytes: Uint8Array, encoding: string | undefined): string {
  switch ((encoding ?? 'hex').toLowerCase()) {
    case 'base64':
      return toBase64(bytes);
    case 'latin1':
    case 'binary':
      return toLatin1(bytes);
    case 'utf8':
    case 'utf-8':
      return utf8Decode(bytes);
    default:
      return toHex(bytes);
  }
}
