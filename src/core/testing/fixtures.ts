/**
 * Small catalogs for tests: one realistic document close to the README example, built fresh per
 * call so tests may mutate it.
 */

export function smallCatalog(): Record<string, unknown> {
  return {
    channels: [
      { id: 'web', direction: 'inbound' },
      { id: 'email', direction: 'outbound', outcomes: { positive: ['accepted'], negative: ['rejected', 'ignored'] } },
    ],
    outcomes: { positive: ['clicked', 'accepted'], negative: ['rejected', 'ignored'] },
    issues: [
      {
        id: 'grow',
        lever: 1.0,
        eligibility: 'customer.age >= 18',
        groups: [
          {
            id: 'cards',
            lever: 1.0,
            applicability: 'true',
            actions: [
              {
                id: 'gold-card',
                value: 120,
                lever: 1.0,
                eligibility: 'customer.income >= 30000',
                applicability: "!('gold-card' in customer.products)",
                suitability: 'customer.riskScore < 0.7',
                validFrom: '2026-01-01',
                validTo: '2027-12-31',
                propensity: 0.05,
                treatments: [
                  { id: 'gold-card-web', channel: 'web' },
                  { id: 'gold-card-mail', channel: 'email' },
                ],
              },
              {
                id: 'student-card',
                value: 20,
                eligibility: 'customer.age < 26',
                propensity: 0.2,
                treatments: [{ id: 'student-card-web', channel: 'web' }],
              },
            ],
          },
        ],
      },
      {
        id: 'retain',
        groups: [
          {
            id: 'retention',
            actions: [
              { id: 'fee-waiver', value: 50, propensity: 0.1, treatments: [{ id: 'fee-waiver-web', channel: 'web' }] },
            ],
          },
        ],
      },
    ],
    contextWeights: [{ when: "context.intent == 'cancel'", issue: 'retain', weight: 2.0 }],
    relevance: { minPropensity: 0.0 },
  };
}
