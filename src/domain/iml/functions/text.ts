/** Text and binary functions (reference §3.3). Indices in text are 0-based, as Make's. */
import type { DigestAlgorithm } from '../environment';
import { ImlFunctionFailure } from '../errors';
import { boundedItems, boundedText, charge, type EvaluationState } from '../state';
import { isCollection, looseEquals, toText } from '../values';
import { atLeast, integer, optionalNumber, text } from './args';
import { bytesOf, encodeBytes, toBase64 } from './bytes';
import type { FunctionTable } from './types';

/** `/pattern/flags` as a RegExp; undefined for plain text. */
export function regexOf(search: string): RegExp | undefined {
  const literal = /^\/([\s\S]+)\/([a-z]*)$/.exec(search);
  if (!literal) return undefined;
  const flags = (literal[2] ?? '').replace(/[^gimsuy]/g, '');
  try {
    return new RegExp(literal[1] as string, [...new Set(flags)].join(''));
  } catch (err) {
    throw new ImlFunctionFailure(`Invalid regular expression ${search}: ${(err as Error).message}`);
  }
}

function hash(algorithm: DigestAlgorithm) {
  return (args: unknown[], state: EvaluationState): string => {
    const digest = state.env.digest;
    if (!digest) throw new ImlFunctionFailure('Hash functions are evaluated in the module activity, not here.');
    atLeast(args, 1);
    const data = bytesOf(args[0], text(args, 0));
    charge(state, Math.ceil(data.length / 64));
    const outputEncoding = args[1] === undefined || args[1] === '' ? 'hex' : text(args, 1);
    const key =
      args[2] === undefined || args[2] === null || args[2] === ''
        ? undefined
        : bytesOf(args[2], text(args, 2), args[3] === undefined ? undefined : text(args, 3));
    return encodeBytes(digest(algorithm, data, key), outputEncoding);
  };
}

function capitalizeWord(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export const textFunctions: FunctionTable = {
  ascii: (args) => {
    let value = text(args, 0);
    if (args[1] === true || text(args, 1) === 'true') value = value.normalize('NFD').replace(/\p{M}/gu, '');
    return value.replace(/[\u0080-\uffff]/g, '');
  },
  base64: (args) => toBase64(bytesOf(args[0], text(args, 0))),
  capitalize: (args) => capitalizeWord(text(args, 0)),
  startcase: (args) => text(args, 0).replace(/\S+/g, (word) => capitalizeWord(word.toLowerCase())),
  contains: (args) => {
    if (Array.isArray(args[0])) return args[0].some((item) => looseEquals(item, args[1]));
    return text(args, 0).includes(text(args, 1));
  },
  decodeURL: (args) => {
    try {
      return decodeURIComponent(text(args, 0).replace(/\+/g, ' '));
    } catch {
      throw new ImlFunctionFailure('The text is not a valid encoded URL component.');
    }
  },
  encodeURL: (args) => encodeURIComponent(text(args, 0)),
  escapeHTML: (args) => text(args, 0).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c),
  escapeMarkdown: (args) => text(args, 0).replace(/[\\`*_{}[\]()#+\-.!|>~]/g, (c) => `&#${c.charCodeAt(0)};`),
  indexOf: (args) => {
    const from = optionalNumber(args, 2, 0);
    return text(args, 0).indexOf(text(args, 1), from);
  },
  length: (args) => {
    const value = args[0];
    if (Array.isArray(value)) return value.length;
    if (value instanceof Uint8Array) return value.length;
    if (isCollection(value)) return Object.keys(value).length;
    return toText(value).length;
  },
  lower: (args) => text(args, 0).toLowerCase(),
  upper: (args) => text(args, 0).toUpperCase(),
  trim: (args) => text(args, 0).trim(),
  md5: hash('md5'),
  sha1: hash('sha1'),
  sha256: hash('sha256'),
  sha512: hash('sha512'),
  replace: (args, state) => {
    atLeast(args, 2);
    const source = text(args, 0);
    const search = text(args, 1);
    const replacement = text(args, 2);
    if (/\$<[^>]*>/.test(replacement))
      throw new ImlFunctionFailure('Named groups are not supported in the replacement.');
    charge(state, Math.ceil(source.length / 64));
    const pattern = regexOf(search);
    const result = pattern
      ? source.replace(pattern, replacement)
      : search === ''
        ? source
        : source.replaceAll(search, replacement);
    return boundedText(result, state);
  },
  replaceEmojiCharacters: (args) =>
    text(args, 0).replace(
      /(?:\p{Extended_Pictographic}|\p{Regional_Indicator})(?:\uFE0F|\u200D|\p{Emoji_Modifier}|\p{Extended_Pictographic})*/gu,
      text(args, 1),
    ),
  split: (args, state) => {
    const source = boundedText(text(args, 0), state);
    if (source === '') return [];
    const separator = args[1] === undefined ? ',' : text(args, 1);
    const pattern = regexOf(separator);
    return boundedItems(pattern ? source.split(pattern) : source.split(separator), state);
  },
  stripHTML: (args) =>
    text(args, 0)
      .replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, '')
      .replace(/<[^>]*>/g, ''),
  substring: (args) => {
    const value = text(args, 0);
    const start = integer(args, 1, 'start');
    return args[2] === undefined || args[2] === null
      ? value.substring(start)
      : value.substring(start, integer(args, 2, 'end'));
  },
  toBinary: (args) => bytesOf(args[0], text(args, 0), args[1] === undefined ? undefined : text(args, 1)),
  toString: (args: unknown[]) => text(args, 0),
};
