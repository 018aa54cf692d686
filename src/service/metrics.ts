/**
 * A minimal Prometheus registry (text exposition format 0.0.4): counters with labels and one
 * latency histogram. Small on purpose; what operators scrape at `/metrics`.
 */

type Labels = Record<string, string>;

function labelKey(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  return keys.map((k) => `${k}="${escapeLabel(labels[k] ?? '')}"`).join(',');
}

const NEEDS_ESCAPE = /[\\\n"]/;

function escapeLabel(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return value;
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

export class Counter {
  private readonly values = new Map<string, number>();
  constructor(readonly name: string, readonly help: string) {}
  inc(labels: Labels = {}, by = 1): void {
    const key = labelKey(labels);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }
  get(labels: Labels = {}): number {
    return this.values.get(labelKey(labels)) ?? 0;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    if (this.values.size === 0) lines.push(`${this.name} 0`);
    for (const [key, value] of this.values) lines.push(`${this.name}${key ? `{${key}}` : ''} ${value}`);
    return lines.join('\n');
  }
}

export class Histogram {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;
  constructor(readonly name: string, readonly help: string, readonly buckets: readonly number[]) {
    this.counts = buckets.map(() => 0);
  }
  observe(value: number): void {
    this.sum += value;
    this.count += 1;
    for (let i = 0; i < this.buckets.length; i++) {
      if (value <= (this.buckets[i] as number)) this.counts[i] = (this.counts[i] as number) + 1;
    }
  }
  get observations(): number {
    return this.count;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    this.buckets.forEach((le, i) => lines.push(`${this.name}_bucket{le="${le}"} ${this.counts[i]}`));
    lines.push(`${this.name}_bucket{le="+Inf"} ${this.count}`);
    lines.push(`${this.name}_sum ${this.sum}`);
    lines.push(`${this.name}_count ${this.count}`);
    return lines.join('\n');
  }
}

export class ServiceMetrics {
  readonly decisions = new Counter('nextbest_decisions_total', 'Decisions made, by channel and whether any action was returned.');
  readonly responses = new Counter('nextbest_responses_total', 'Responses accepted, by outcome (duplicates not counted).');
  readonly duplicateResponses = new Counter('nextbest_responses_duplicate_total', 'Responses received again and counted once.');
  readonly controlDecisions = new Counter('nextbest_control_decisions_total', 'Decisions made for customers in the control arm, by channel.');
  readonly sweptDecisions = new Counter('nextbest_swept_decisions_total', 'Decisions whose response window closed and were swept.');
  readonly modelStatesWritten = new Counter('nextbest_model_states_written_total', 'Learnt model states written to the store.');
  readonly modelFlushFailures = new Counter(
    'nextbest_model_flush_failures_total',
    'Model-state writes that failed (their states are written again at the next flush).',
  );
  readonly decisionSeconds = new Histogram(
    'nextbest_decision_duration_seconds',
    'Time to make and record one decision, in seconds.',
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
  );

  render(): string {
    return (
      [
        this.decisions,
        this.responses,
        this.duplicateResponses,
        this.controlDecisions,
        this.sweptDecisions,
        this.modelStatesWritten,
        this.modelFlushFailures,
        this.decisionSeconds,
      ]
        .map((m) => m.render())
        .join('\n') + '\n'
    );
  }
}
