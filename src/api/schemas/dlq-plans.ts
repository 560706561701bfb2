/** The plan of a retry and the stored-vs-current blueprint diff, on the wire (src/domain/retry-plan.ts, blueprint-diff.ts). */
import { z } from 'zod';
import { blueprintChoices } from '../../domain';

const moduleRef = z.object({ moduleId: z.int(), module: z.string() });

export const retryPlanSchema = z
  .object({
    blueprint: z.enum(blueprintChoices),
    failer: z.int(),
    from: z.int().describe('The module asked for (the failed one by default)'),
    startsAt: z.int().describe('The first module that runs (the one after the trigger when `from` is the trigger)'),
    reused: z.array(moduleRef).describe('Stored outputs the retry reuses: the modules before `startsAt` on its path'),
    modules: z
      .array(
        moduleRef.extend({
          route: z.array(z.int()).describe("Route indices from the top-level flow ([]: not in a router's route)"),
          runs: z
            .enum(['runs', 'maybe', 'filtered'])
            .describe('`maybe`: a filter reads output the retry has yet to produce; `filtered`: its filter fails'),
          filter: z.enum(['passes', 'fails', 'unknown']).optional(),
          callsService: z.boolean(),
          idempotent: z.boolean(),
        }),
      )
      .describe('The modules that would run, in order (depth-first, routes in order)'),
    callsServiceAgain: z.array(z.int()),
    warnings: z.array(
      z.object({ moduleId: z.int(), kind: z.enum(['not-idempotent', 'empty-mapping']), message: z.string() }),
    ),
  })
  .meta({ id: 'RetryPlan' });

const fieldChange = z.object({ path: z.string(), before: z.unknown().optional(), after: z.unknown().optional() });

export const blueprintDiffSchema = z
  .object({
    same: z.boolean().describe('True when the flows are the same (`settings` may still differ)'),
    added: z.array(moduleRef),
    removed: z.array(moduleRef),
    changed: z.array(moduleRef.extend({ fields: z.array(fieldChange) })),
    settings: z.array(fieldChange).describe('Changes to the scenario settings (`metadata.scenario`)'),
  })
  .meta({ id: 'BlueprintDiff' });
