/**
 * Ids as Make spells them (DESIGN.md §4): execution and IE ids are 32 lowercase hex characters.
 * The sha256 behind an ieId is computed in the activity that stores the IE (hashing needs Node);
 * this file only says what goes into it and what comes out.
 */
export const HEX32_ID = /^[0-9a-f]{32}$/;

export function isHex32Id(value: unknown): value is string {
  return typeof value === 'string' && HEX32_ID.test(value);
}

/** An attempt's executionId: the workflow's deterministic `uuid4()` without dashes. */
export function executionIdFromUuid(uuid: string): string {
  const id = uuid.replace(/-/g, '').toLowerCase();
  if (!isHex32Id(id)) throw new Error(`not a uuid: ${uuid}`);
  return id;
}

/** The text whose sha256 (first 32 hex) is the ieId, so a replayed store finds the same IE. */
export function ieIdSource(executionId: string, failer: number, bundleIndex: number): string {
  return `${executionId}:${failer}:${bundleIndex}`;
}

export function runWorkflowId(executionId: string): string {
  return `run-${executionId}`;
}

export function ieWorkflowId(ieId: string): string {
  return `ie-${ieId}`;
}
