/**
 * "Why am I seeing this?": a recorded decision explained to the customer in plain words, from the
 * decision record (what was shown, its factors, control arm, advisor) and the catalog version it
 * used (names, conditions). Pure: the caller loads the decision, catalog and preferences.
 */
import type { CompiledCatalog } from '../catalog/compile.js';
import type { CustomerPreferences, DecisionRecord } from '../types.js';

export interface PlainExplanation {
  decisionId: string;
  customerId: string;
  channel: string;
  createdAt: string;
  controlGroup: boolean;
  actions: Array<{ actionId: string; name: string; text: string }>;
  /** Everything in one text. */
  text: string;
}

export function explainInPlainWords(
  decision: DecisionRecord,
  catalog: CompiledCatalog | undefined,
  preferences: CustomerPreferences | undefined,
): PlainExplanation {
  const when = decision.createdAt.replace('T', ' ').slice(0, 16);
  const control = decision.controlGroup === true;
  const actions = decision.actions.map((ranked) => {
    const action = catalog?.actionsById.get(ranked.actionId);
    const name = action?.def.name ?? ranked.actionId;
    const parts: string[] = [];
    if (ranked.mandatory) {
      parts.push(`"${name}" is a notice we are required to give you (regulation or your security), so it comes first.`);
    } else if (control) {
      parts.push(
        `"${name}" was picked at random among the options you qualify for. A small group of customers, chosen at random, sees a random option instead of our recommendation, so that we can check that our recommendations really help.`,
      );
    } else {
      const chance = `${Math.round(ranked.propensity * 1000) / 10}%`;
      parts.push(
        `We showed you "${name}" because it is one of the options you qualify for and it came ${ordinal(ranked.rank)}: we estimated a ${chance} chance that it interests you${ranked.contextWeight > 1 ? ', and what you were doing at that moment made it more relevant' : ''}.`,
      );
    }
    if (action && action.policies.length > 0) {
      parts.push(`Conditions you met: ${action.policies.map((p) => p.rule.source).join('; ')}.`);
    }
    if (ranked.advisorId) {
      const advisor = catalog?.advisors.find((a) => a.id === ranked.advisorId);
      const who = advisor?.name ?? ranked.advisorId;
      const why =
        preferences?.preferredAdvisor === ranked.advisorId
          ? 'the advisor you asked for'
          : `who specialises in ${action?.topic ?? 'this topic'}${advisor ? ` and meets customers by ${advisor.channels.join(', ')}` : ''}`;
      parts.push(`We suggest talking to ${who}, ${why}.`);
    }
    return { actionId: ranked.actionId, name, text: parts.join(' ') };
  });
  const intro =
    decision.actions.length === 0
      ? `On ${when} UTC in ${decision.channel} we had nothing relevant to show you, so we showed nothing.`
      : `On ${when} UTC in ${decision.channel} we showed you ${decision.actions.length} option(s).`;
  const choices: string[] = [];
  if (preferences) {
    if (preferences.optedOutChannels.length > 0) choices.push(`we never use ${preferences.optedOutChannels.join(', ')}, as you asked`);
    if (preferences.marketingConsent === false) choices.push('we show you no marketing, only service and security messages');
    if (preferences.marketingConsent === null) choices.push('until you tell us your marketing choice we send you no marketing (we may still show offers when you visit us)');
    if (preferences.preferredChannels.length > 0) choices.push(`we contact you only on ${preferences.preferredChannels.join(', ')}`);
    if (preferences.contactTimes.length > 0) choices.push('we contact you only at the times you chose');
  }
  const footer = `We respect your choices${choices.length > 0 ? `: ${choices.join('; ')}` : ''}. You can change them at any time.`;
  return {
    decisionId: decision.decisionId,
    customerId: decision.customerId,
    channel: decision.channel,
    createdAt: decision.createdAt,
    controlGroup: control,
    actions,
    text: [intro, ...actions.map((a) => a.text), footer].join('\n'),
  };
}

function ordinal(n: number): string {
  const words = ['first', 'second', 'third', 'fourth', 'fifth'];
  return n >= 1 && n <= words.length ? (words[n - 1] as string) : `number ${n}`;
}
