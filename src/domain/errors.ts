/**
 * Make's error categories (DESIGN.md §4) and the typed error modules throw.
 *
 * Pure: imported by workflow code, so no Node APIs here.
 */
/** Make's error class names, as `integromat/imt-proto` and the help centre spell them. */
export const errorCategories = [
  'ConnectionError',
  'RateLimitError',
  'ModuleTimeoutError',
  'OutOfSpaceError',
  'DataError',
  'InvalidConfigurationError',
  'InvalidAccessTokenError',
  'UnexpectedError',
  'MaxFileSizeExceededError',
  'MaxResultsExceededError',
  'IncompleteDataError',
  'DuplicateDataError',
  'RuntimeError',
  'InconsistencyError',
  'BundleValidationError',
] as const;

export type ErrorCategory = (typeof errorCategories)[number];

export function isErrorCategory(value: unknown): value is ErrorCategory {
  return typeof value === 'string' && (errorCategories as readonly string[]).includes(value);
}

export interface ModuleErrorOptions {
  /** The blueprint module id that failed, when known. */
  moduleId?: number;
  /** The service asked us to wait this long before trying again (Retry-After). */
  retryAfterMs?: number;
  /** Anything that helps a person act on the error (status code, response excerpt, …). */
  details?: Record<string, unknown>;
  cause?: unknown;
}

/**
 * The error a module throws: its category decides the run's fate through the policy table.
 * `name` is the category, as Make serialises its errors (`{ name, message }`).
 */
export class ModuleError extends Error {
  readonly category: ErrorCategory;
  readonly moduleId?: number;
  readonly retryAfterMs?: number;
  readonly details: Record<string, unknown>;

  constructor(category: ErrorCategory, message: string, options: ModuleErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = category;
    this.category = category;
    this.details = options.details ?? {};
    if (options.moduleId !== undefined) this.moduleId = options.moduleId;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }

  /** A copy that names the failed module (the activity knows the id; the module may not). */
  withModuleId(moduleId: number): ModuleError {
    return new ModuleError(this.category, this.message, {
      moduleId,
      retryAfterMs: this.retryAfterMs,
      details: this.details,
      cause: this.cause,
    });
  }

  /** Make's stored error shape, as in `/dlqs/{id}/bundle`: `{ type, message }`. */
  toJSON(): { type: ErrorCategory; message: string; moduleId?: number; retryAfterMs?: number } {
    return {
      type: this.category,
      message: this.message,
      ...(this.moduleId === undefined ? {} : { moduleId: this.moduleId }),
      ...(this.retryAfterMs === undefined ? {} : { retryAfterMs: this.retryAfterMs }),
    };
  }
}

export function isModuleError(value: unknown): value is ModuleError {
  return value instanceof ModuleError;
}
