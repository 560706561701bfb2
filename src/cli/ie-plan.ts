/**
 * `imex ie plan` and `imex ie blueprint-diff`: what a retry would run (from which module, with
 * which blueprint) and how the IE's blueprint differs from its scenario's current one, before
 * `imex ie retry <id> --from … --blueprint …` (issue 21).
 */
import type { Command } from 'commander';
import type { z } from 'zod';
import type { blueprintDiffSchema, retryPlanSchema } from '../api/schemas/dlq-plans';
import { apiRequest } from './api-client';
import { CliError, exitCodes, ieId, positiveInt, table, type CliContext } from './context';

export type PlanView = z.output<typeof retryPlanSchema>;
type DiffView = z.output<typeof blueprintDiffSchema>;
type Print = (line: string) => void;

export function blueprintChoice(value: string): 'stored' | 'current' {
  if (value !== 'stored' && value !== 'current') {
    throw new CliError(`--blueprint must be stored or current, got "${value}"`, exitCodes.usage);
  }
  return value;
}

/** The plan as lines: what is reused, each module that runs (indented by route), the warnings. */
export function printPlan(plan: PlanView, out: Print): void {
  const start =
    plan.startsAt === plan.from ? `module ${plan.startsAt}` : `module ${plan.startsAt} (after trigger ${plan.from})`;
  out(`Plan (${plan.blueprint} blueprint, failed module ${plan.failer}): starts at ${start}`);
  out(`  reuses the stored output of: ${plan.reused.map((m) => m.moduleId).join(', ') || '(nothing)'}`);
  table(
    plan.modules.map((m) => ({
      module: `${'  '.repeat(m.route.length)}${m.moduleId} ${m.module}`,
      runs: m.filter ? `${m.runs} (filter ${m.filter})` : m.runs,
      service: m.callsService ? (m.idempotent ? 'calls again' : 'calls again, not idempotent') : '',
    })),
    ['module', 'runs', 'service'],
  ).forEach((line) => out(`  ${line}`));
  for (const warning of plan.warnings) out(`  warning: ${warning.message}`);
}

function printDiff(diff: DiffView, out: Print): void {
  if (diff.same && diff.settings.length === 0) {
    out('The stored blueprint and the current one are the same');
    return;
  }
  for (const m of diff.added) out(`+ module ${m.moduleId} ${m.module} (only in the current blueprint)`);
  for (const m of diff.removed) out(`- module ${m.moduleId} ${m.module} (only in the stored blueprint)`);
  for (const m of diff.changed) {
    out(`~ module ${m.moduleId} ${m.module}`);
    for (const f of m.fields) out(`    ${f.path}: ${JSON.stringify(f.before)} → ${JSON.stringify(f.after)}`);
  }
  for (const f of diff.settings) out(`~ setting ${f.path}: ${JSON.stringify(f.before)} → ${JSON.stringify(f.after)}`);
}

type Run = <A extends (context: CliContext, ...args: never[]) => Promise<void>>(
  action: A,
) => (...args: unknown[]) => Promise<void>;

export function registerIePlanCommands(ie: Command, run: Run): void {
  ie.command('plan')
    .description('what a retry would run: modules in order, stored outputs reused, services called again, warnings')
    .argument('<id>', 'incomplete execution id', ieId)
    .option(
      '--from <moduleId>',
      'start at this module (default: the failed one; the trigger: the start)',
      positiveInt('--from'),
    )
    .option(
      '--blueprint <stored|current>',
      "the IE's blueprint (default) or the scenario's current one",
      blueprintChoice,
    )
    .action(
      run(async (context, id: string, options: { from?: number; blueprint?: 'stored' | 'current' }) => {
        const query = new URLSearchParams();
        if (options.from !== undefined) query.set('from', String(options.from));
        if (options.blueprint !== undefined) query.set('blueprint', options.blueprint);
        const suffix = query.size > 0 ? `?${query.toString()}` : '';
        const result = await apiRequest<{ plan: PlanView }>(context, 'GET', `/dlqs/${id}/plan${suffix}`);
        context.print(result, (out) => printPlan(result.plan, out));
      }),
    );

  ie.command('blueprint-diff')
    .description("its blueprint against its scenario's current one, module by module")
    .argument('<id>', 'incomplete execution id', ieId)
    .action(
      run(async (context, id: string) => {
        const result = await apiRequest<{ diff: DiffView }>(context, 'GET', `/dlqs/${id}/blueprint-diff`);
        context.print(result, (out) => printDiff(result.diff, out));
      }),
    );
}
