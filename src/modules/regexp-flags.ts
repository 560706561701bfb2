/**
 * The flags Make's text parser modules share (`global`, `sensitive`, `multiline`, `singleline`),
 * as a JavaScript `RegExp`. Make's patterns are PCRE-like; JavaScript's syntax covers what exports
 * use (groups, named groups `(?<name>…)`, classes, lazy quantifiers, look-arounds).
 */
import { z } from 'zod';

/** Exports hold these as booleans; hand-written ones sometimes as "true"/"false". */
export const flagSchema = z
  .union([z.boolean(), z.enum(['true', 'false']).transform((text) => text === 'true')])
  .optional();

export interface RegexpFlags {
  global?: boolean | undefined;
  /** Case sensitive; Make's default is on. */
  sensitive?: boolean | undefined;
  /** `^` and `$` match at line breaks. */
  multiline?: boolean | undefined;
  /** `.` matches line breaks too. */
  singleline?: boolean | undefined;
}

export function compileRegexp(pattern: string, flags: RegexpFlags): RegExp {
  return new RegExp(
    pattern,
    [
      flags.global ? 'g' : '',
      flags.sensitive === false ? 'i' : '',
      flags.multiline ? 'm' : '',
      flags.singleline ? 's' : '',
    ].join(''),
  );
}

/** A pattern field: checked by compiling it, so a bad pattern is refused with the engine's reason. */
export const patternSchema = z
  .string()
  .min(1, 'a pattern is required')
  .superRefine((pattern, ctx) => {
    try {
      new RegExp(pattern);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `is not a valid regular expression: ${(error as Error).message}` });
    }
  });
