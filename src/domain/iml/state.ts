/** One evaluation's state: the bundles, the environment, and the work it has done (bounded). */
import type { ImlEnvironment } from './environment';
import { ImlFunctionFailure } from './errors';

/** Output bundles of earlier modules, keyed by module id. */
export type MappingContext = Readonly<Record<string, unknown>>;

export interface EvaluationState {
  readonly context: MappingContext;
  readonly env: ImlEnvironment;
  work: number;
}

/**
 * Work units one evaluation of a whole mapper may spend: a node is one, a function that walks
 * an array or text pays per item or character. Generous for any real mapper; it stops a
 * hostile one (split of megabytes, nested maps) with a clear error instead of a hung worker.
 */
export const WORK_LIMIT = 5_000_000;
/** The most items an array built by a function may hold. */
export const MAX_ITEMS = 100_000;
/** The longest text a function may build (characters). */
export const MAX_TEXT = 5 * 1024 * 1024;

export function charge(state: EvaluationState, units: number): void {
  state.work += units;
  if (state.work > WORK_LIMIT) {
    throw new ImlFunctionFailure(`The mapping needs more work than allowed (${WORK_LIMIT} units); simplify it.`);
  }
}

export function boundedItems<T>(items: T[], state: EvaluationState): T[] {
  if (items.length > MAX_ITEMS) throw new ImlFunctionFailure(`An array of more than ${MAX_ITEMS} items is refused.`);
  charge(state, items.length);
  return items;
}

export function boundedText(text: string, state: EvaluationState): string {
  if (text.length > MAX_TEXT) throw new ImlFunctionFailure(`A text of more than ${MAX_TEXT} characters is refused.`);
  charge(state, Math.ceil(text.length / 64));
  return text;
}
