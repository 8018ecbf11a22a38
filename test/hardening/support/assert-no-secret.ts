import assert from 'node:assert/strict';
import { secretFragmentLength } from '../../../packages/server/src/server/observability/create-redactor.ts';

/**
 * Fails when `text` holds any secret, any run of `secretFragmentLength` characters of one (but runs of
 * lowercase letters, which the redactor leaves to ordinary words), or a masked quotation.
 */
export function assertNoSecret(text: string, secrets: readonly string[], ...quotations: string[]): void {
  for (const secret of secrets) {
    for (let start = 0; start + secretFragmentLength <= secret.length; start += 1) {
      const fragment = secret.slice(start, start + secretFragmentLength);
      if (/^[a-z]+$/.test(fragment)) continue;
      assert.ok(!text.includes(fragment), `leaked ${JSON.stringify(fragment)} of a secret in: ${text.slice(0, 2000)}`);
    }
  }
  for (const quotation of quotations) assert.ok(!text.includes(quotation), `leaked ${JSON.stringify(quotation)} in: ${text.slice(0, 2000)}`);
}
