/**
 * An error the local stack launcher explains to a person: what is missing and how to get it.
 * Entry points print its message alone, never a stack trace.
 */
export class StackError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StackError';
  }
}
