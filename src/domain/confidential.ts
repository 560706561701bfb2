/**
 * Make's `confidential: true` (a scenario setting): no module data in logs or history views. An
 * IE's stored blueprint holds the settings its run had, so it says whether the IE is confidential
 * (docs/security.md#confidential-scenarios).
 */
export function isConfidentialBlueprintText(blueprint: string | undefined): boolean {
  if (!blueprint) return false;
  const parsed = JSON.parse(blueprint) as { metadata?: { scenario?: { confidential?: unknown } } };
  return parsed.metadata?.scenario?.confidential === true;
}
