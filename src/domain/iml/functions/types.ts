import type { EvaluationState } from '../state';

/** A function's body: evaluated arguments in, a value out; `ImlFunctionFailure` for bad data. */
export type ImlFunction = (args: unknown[], state: EvaluationState) => unknown;
export type FunctionTable = Record<string, ImlFunction>;
