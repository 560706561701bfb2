/** Statuses of incomplete executions and of runs, with Make's names and codes. */

/** Make's Unresolved, Pending (set to retry), In progress and Resolved. */
export const ieStatuses = ['unresolved', 'pending', 'in_progress', 'resolved'] as const;
export type IeStatus = (typeof ieStatuses)[number];

/** Make's execution statuses and their numeric codes in the API (`status: 1 | 2 | 3`). */
export const executionStatusCodes = { success: 1, warning: 2, error: 3 } as const;
export type ExecutionStatus = keyof typeof executionStatusCodes;
export type ExecutionStatusCode = (typeof executionStatusCodes)[ExecutionStatus];
export const executionStatuses = Object.keys(executionStatusCodes) as ExecutionStatus[];

export function executionStatusCode(status: ExecutionStatus): ExecutionStatusCode {
  return executionStatusCodes[status];
}

export function executionStatusFromCode(code: number): ExecutionStatus | undefined {
  return executionStatuses.find((status) => executionStatusCodes[status] === code);
}
