/**
 * Advisor routing for `conversation` actions (pure): the customer's preferred advisor when able
 * (lists the topic and has capacity left this ISO week), else the best expertise match with
 * capacity left: topic listed earliest (strongest), then a meeting channel the customer prefers,
 * then the most capacity left, then the id.
 */
import type { AdvisorDef } from '../catalog/types.js';

export interface AdvisorRouting {
  advisor: AdvisorDef | undefined;
  reason: string;
}

export function routeAdvisor(
  topic: string,
  advisors: readonly AdvisorDef[],
  load: ReadonlyMap<string, number>,
  preferredAdvisor: string | null,
  preferredChannels: readonly string[],
  week: string,
): AdvisorRouting {
  const left = (a: AdvisorDef) => a.weeklyCapacity - (load.get(a.id) ?? 0);
  let note = '';
  if (preferredAdvisor) {
    const preferred = advisors.find((a) => a.id === preferredAdvisor);
    if (preferred && preferred.topics.includes(topic) && left(preferred) > 0) {
      return { advisor: preferred, reason: `the customer's preferred advisor ${preferred.id} (${topic}, ${left(preferred)} of ${preferred.weeklyCapacity} slots left in ${week})` };
    }
    note = !preferred
      ? ` (preferred advisor ${preferredAdvisor} is not in the catalog)`
      : !preferred.topics.includes(topic)
        ? ` (preferred advisor ${preferredAdvisor} does not cover ${topic})`
        : ` (preferred advisor ${preferredAdvisor} has no capacity left in ${week})`;
  }
  const able = advisors.filter((a) => a.topics.includes(topic) && left(a) > 0);
  if (able.length === 0) return { advisor: undefined, reason: `no advisor for ${topic} has capacity left in ${week}${note}` };
  const overlap = (a: AdvisorDef) => a.channels.filter((c) => preferredChannels.includes(c)).length;
  able.sort(
    (a, b) =>
      a.topics.indexOf(topic) - b.topics.indexOf(topic) || overlap(b) - overlap(a) || left(b) - left(a) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  const best = able[0] as AdvisorDef;
  return { advisor: best, reason: `best ${topic} match with capacity: ${best.id} (${left(best)} of ${best.weeklyCapacity} slots left in ${week})${note}` };
}
