/** Every IML function by name, in an object without a prototype: no call reaches `constructor`. */
import { arrayFunctions } from './array';
import { dateFunctions } from './date';
import { generalFunctions } from './general';
import { mathFunctions } from './math';
import { textFunctions } from './text';
import type { FunctionTable } from './types';

export const ALL_FUNCTIONS: FunctionTable = Object.assign(
  Object.create(null) as FunctionTable,
  generalFunctions,
  mathFunctions,
  textFunctions,
  dateFunctions,
  arrayFunctions,
);

/** Functions that need the activity's crypto (the workflow sends mappers using them to an activity). */
export const HOST_FUNCTIONS: ReadonlySet<string> = new Set(['md5', 'sha1', 'sha256', 'sha512']);
