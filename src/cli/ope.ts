/**
 * `nextbest ope <log>`: off-policy evaluation (IPS, SNIPS, DM, DR with bootstrap intervals) of
 * target policies on a log of bandit feedback. Thin: parses options, calls `runOpe`, prints.
 * Bad input prints `error: <message>` and exits with code 2.
 */
import type { Command } from 'commander';
import { InputError } from '../evaluate/read-rows.js';
import { formatOpeReport, parsePolicySpecs, runOpe, type OpeOptions } from '../ope/run.js';
import type { LogFormat } from '../ope/read-log.js';
import type { FromLogMethod, NextbestMode } from '../ope/policies.js';
import type { RewardModelKind } from '../ope/reward-model.js';

interface OpeFlags {
  format: string;
  policy?: string[];
  compare?: string;
  bootstrap: string;
  seed: string;
  trainShare: string;
  json?: boolean;
  actionCol?: string;
  rewardCol?: string;
  propensityCol?: string;
  positionCol?: string;
  contextCols?: string;
  itemContext?: string;
  rewardModel: string;
  priorStrength: string;
  fromLogMethod: string;
  writePolicy?: string;
  policyFromLog?: string;
  draws: string;
  nextbestMode: string;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

export function registerOpeCommand(program: Command): void {
  program
    .command('ope <log>')
    .description(
      'Off-policy evaluation: estimate how target policies would have done from a log of another policy ' +
        '(IPS, SNIPS, DM, DR with bootstrap intervals).',
    )
    .option('--format <format>', 'obd (Open Bandit Dataset) or generic', 'obd')
    .option(
      '--policy <spec>',
      'policy to evaluate, repeatable or comma-separated: uniform, nextbest (adaptive model; nextbest:beta-bernoulli for the context-free model), file:<policy.csv> (action,probability[,position][,context columns]), from-log:<log.csv> (the policy that wrote another log); default uniform',
      collect,
    )
    .option('--policy-from-log <log>', 'same as --policy from-log:<log>')
    .option('--compare <log>', "another log (same format) whose own reward rate is printed next to the estimates")
    .option('--bootstrap <n>', 'bootstrap resamples for the intervals', '200')
    .option('--seed <n>', 'seed of the bootstrap and Monte Carlo draws', '1')
    .option('--train-share <share>', 'share of the log (first rows) the nextbest policy trains on; it is evaluated on the rest', '0.5')
    .option('--reward-model <kind>', 'DM/DR reward model: table (action x position rate, Beta-smoothed) or adaptive (nextbest naive Bayes)', 'table')
    .option('--prior-strength <m>', 'pseudo-rows of the Beta prior of the table reward model', '100')
    .option('--from-log-method <method>', 'how from-log recovers a policy: propensity (harmonic mean of logged propensities), mean, frequency', 'propensity')
    .option('--write-policy <file>', 'write the (first) from-log policy as a policy file')
    .option('--draws <n>', 'Monte Carlo draws per context for the nextbest Thompson policy', '500')
    .option('--nextbest-mode <mode>', 'thompson (rank by Thompson draws) or greedy (rank by point estimates)', 'thompson')
    .option('--action-col <column>', 'generic format: the action column')
    .option('--reward-col <column>', 'generic format: the reward column')
    .option('--propensity-col <column>', 'generic format: the logging propensity column')
    .option('--position-col <column>', 'generic format: the position (slot) column, if any')
    .option('--context-cols <columns>', 'generic format: comma-separated context columns')
    .option('--item-context <file>', 'Open Bandit item_context.csv (default: the one next to the log, if any)')
    .option('--json', 'print the report as JSON')
    // Commander's own usage errors (unknown option, missing argument) exit with 2 as well; it has
    // already printed the message. Help and version keep their exit code 0.
    .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2))
    .action(async (log: string, flags: OpeFlags) => {
      try {
        const options = toOptions(log, flags);
        const report = await runOpe(options);
        process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatOpeReport(report));
      } catch (error) {
        if (error instanceof InputError || error instanceof RangeError) {
          process.stderr.write(`error: ${error.message}\n`);
          process.exitCode = 2;
          return;
        }
        throw error;
      }
    });
}

function number(flag: string, text: string): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v)) throw new InputError(`${flag} must be a number, got "${text}"`);
  return v;
}

function oneOf<T extends string>(flag: string, text: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(text)) throw new InputError(`${flag} must be one of ${allowed.join(', ')}, got "${text}"`);
  return text as T;
}

export function toOptions(log: string, flags: OpeFlags): OpeOptions {
  const format = oneOf<LogFormat>('--format', flags.format, ['obd', 'generic']);
  const policyValues = [...(flags.policy ?? [])];
  if (flags.policyFromLog) policyValues.push(`from-log:${flags.policyFromLog}`);
  if (policyValues.length === 0) policyValues.push('uniform');
  const options: OpeOptions = {
    log,
    format,
    policies: parsePolicySpecs(policyValues),
    bootstrap: number('--bootstrap', flags.bootstrap),
    seed: number('--seed', flags.seed),
    trainShare: number('--train-share', flags.trainShare),
    rewardModel: oneOf<RewardModelKind>('--reward-model', flags.rewardModel, ['table', 'adaptive']),
    priorStrength: number('--prior-strength', flags.priorStrength),
    fromLogMethod: oneOf<FromLogMethod>('--from-log-method', flags.fromLogMethod, ['propensity', 'mean', 'frequency']),
    draws: number('--draws', flags.draws),
    nextbestMode: oneOf<NextbestMode>('--nextbest-mode', flags.nextbestMode, ['thompson', 'greedy']),
  };
  if (flags.compare) options.compare = flags.compare;
  if (flags.writePolicy) options.writePolicy = flags.writePolicy;
  if (flags.itemContext) options.itemContext = flags.itemContext;
  if (format === 'generic') {
    const missing = [
      ['--action-col', flags.actionCol],
      ['--reward-col', flags.rewardCol],
      ['--propensity-col', flags.propensityCol],
    ].filter(([, v]) => !v);
    if (missing.length > 0) {
      throw new InputError(`--format generic needs ${missing.map(([f]) => f).join(', ')}: name the columns of the log (e.g. --action-col offer --reward-col clicked --propensity-col p --context-cols age,segment)`);
    }
    options.columns = {
      action: flags.actionCol!,
      reward: flags.rewardCol!,
      propensity: flags.propensityCol!,
      context: (flags.contextCols ?? '')
        .split(',')
        .map((c) => c.trim())
        .filter((c) => c !== ''),
    };
    if (flags.positionCol) options.columns.position = flags.positionCol;
  } else if (flags.actionCol || flags.rewardCol || flags.propensityCol || flags.positionCol || flags.contextCols) {
    throw new InputError('--action-col, --reward-col, --propensity-col, --position-col and --context-cols are for --format generic; an Open Bandit log (--format obd) has fixed columns');
  }
  return options;
}
