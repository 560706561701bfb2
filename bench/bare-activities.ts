/** Activities of the bare baseline (bare-workflows.ts): the same work as imex's modules, no more. */
import { evaluateMapping } from '../src/domain';
import { bundleFromValue } from '../src/modules/gateway-custom-webhook';

export function createBareActivities() {
  return {
    /** What `gateway:CustomWebHook` does with one object of input data. */
    async receiveWebhook(data: unknown): Promise<Record<string, unknown>> {
      return bundleFromValue(data);
    },
    /** What `util:SetVariable2` does: map the fields, output `{ [name]: value }`. */
    async setVariable(input: {
      mapper: Record<string, unknown>;
      context: Record<string, unknown>;
    }): Promise<Record<string, unknown>> {
      const mapped = evaluateMapping(input.mapper, input.context) as { name: string; value?: unknown };
      return Object.fromEntries([[mapped.name, mapped.value ?? null]]);
    },
  };
}

export type BareActivities = ReturnType<typeof createBareActivities>;
