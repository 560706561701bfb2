/**
 * IML's two kinds of failure. A syntax error is found when the template is parsed (blueprint
 * validation reports it with the module, the field and the position). An evaluation error is
 * Make's DataError: "Function 'parseDate' finished with error! …", raised at run time when a
 * function gets data it cannot use; the module activity turns it into a `DataError` (no
 * auto-retry, an incomplete execution for a person), as Make does.
 */

export class ImlSyntaxError extends Error {
  override readonly name = 'ImlSyntaxError';
  constructor(
    readonly reason: string,
    /** Offset in the template string (0-based). */
    readonly position: number,
  ) {
    super(`${reason} at position ${position}`);
  }
}

export class ImlEvaluationError extends Error {
  override readonly name = 'ImlEvaluationError';
  constructor(
    readonly reason: string,
    /** The outermost function that failed, as Make names it; undefined for an operator. */
    readonly functionName?: string,
    readonly position?: number,
  ) {
    super(functionName ? `Function '${functionName}' finished with error! ${reason}` : reason);
  }
}

/** Raised by a function's body; the evaluator adds the function's name. */
export class ImlFunctionFailure extends Error {
  override readonly name = 'ImlFunctionFailure';
}

/** Make's shape: `Failed to map '<field>': Function '<name>' finished with error! <reason>`. */
export function failedToMapMessage(field: string, error: ImlEvaluationError): string {
  return `Failed to map '${field}': ${error.message}`;
}

/** A mapper field that failed to evaluate: Make's DataError text, with where it happened. */
export class ImlMappingError extends Error {
  override readonly name = 'ImlMappingError';
  constructor(
    /** The field inside the mapper, dotted (`headers.0.value`). */
    readonly field: string,
    override readonly cause: ImlEvaluationError,
  ) {
    super(failedToMapMessage(field, cause));
  }
}
