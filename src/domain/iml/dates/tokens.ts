/** Moment-style format tokens (reference §3.4); `[text]` is literal text. Longest tokens first. */
export const TOKEN_PATTERN =
  /\[[^\]]*\]|YYYYYY|YYYY|YY|Y|Qo|Q|MMMM|MMM|Mo|MM|M|DDDD|DDDo|DDD|Do|DD|D|dddd|ddd|dd|do|d|E|e|wo|ww|w|Wo|WW|W|gggg|gg|GGGG|GG|HH|H|hh|h|kk|k|A|a|mm|m|ss|s|S{1,9}|ZZ|Z|X|x/g;

export type FormatPiece = { token: string } | { literal: string };

const cache = new Map<string, FormatPiece[]>();

export function tokenizeFormat(format: string): FormatPiece[] {
  let pieces = cache.get(format);
  if (pieces) return pieces;
  pieces = [];
  let last = 0;
  for (const match of format.matchAll(TOKEN_PATTERN)) {
    if (match.index > last) pieces.push({ literal: format.slice(last, match.index) });
    const token = match[0];
    pieces.push(token.startsWith('[') ? { literal: token.slice(1, -1) } : { token });
    last = match.index + token.length;
  }
  if (last < format.length) pieces.push({ literal: format.slice(last) });
  if (cache.size > 1000) cache.clear();
  cache.set(format, pieces);
  return pieces;
}
