/** Which IEs need `dlqs:read-data` before their module data is shown (src/api/confidential-data.ts). */
import { isConfidentialIe, requireDataScope } from '../../../src/api/confidential-data';

const ie = (scenario: Record<string, unknown> | undefined) => ({
  _id: 'a'.repeat(32),
  blueprint: JSON.stringify({ name: 's', flow: [], ...(scenario ? { metadata: { scenario } } : {}) }),
});

test("the IE's stored blueprint decides: confidential only when it says true", () => {
  expect(isConfidentialIe(ie({ confidential: true }))).toBe(true);
  expect(isConfidentialIe(ie({ confidential: false }))).toBe(false);
  expect(isConfidentialIe(ie({}))).toBe(false);
  expect(isConfidentialIe(ie(undefined))).toBe(false);
  expect(isConfidentialIe({ blueprint: undefined })).toBe(false);
});

test('a confidential IE refuses a token without dlqs:read-data, naming the scope; other IEs need nothing more', () => {
  expect(() => requireDataScope({ scopes: ['dlqs:read'] }, ie({ confidential: true }), 'bundles')).toThrow(
    `incomplete execution ${'a'.repeat(32)} belongs to a confidential scenario: showing its bundles needs the scope "dlqs:read-data"`,
  );
  let refusal: unknown;
  try {
    requireDataScope({ scopes: ['dlqs:read'] }, ie({ confidential: true }), 'bundles');
  } catch (err) {
    refusal = err;
  }
  expect(refusal).toMatchObject({ statusCode: 403, code: 'IM_FORBIDDEN' });
  expect(() =>
    requireDataScope({ scopes: ['dlqs:read', 'dlqs:read-data'] }, ie({ confidential: true }), 'bundles'),
  ).not.toThrow();
  expect(() => requireDataScope({ scopes: ['dlqs:read'] }, ie({}), 'bundles')).not.toThrow();
});
