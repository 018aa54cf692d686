/**
 * A catalog with every contact-policy feature, for tests: three channels (web inbound, email and
 * push outbound), marketing, transactional, mandatory and conversation actions, suppressions,
 * contact limits, quiet hours and advisors. Built fresh per call so tests may mutate it.
 */

export function policyCatalog(): Record<string, any> {
  const treatments = (id: string) => [
    { id: `${id}-web`, channel: 'web' },
    { id: `${id}-email`, channel: 'email' },
    { id: `${id}-push`, channel: 'push' },
  ];
  return {
    channels: [
      { id: 'web', direction: 'inbound' },
      { id: 'email', direction: 'outbound', responseWindowHours: 72 },
      { id: 'push', direction: 'outbound' },
    ],
    issues: [
      {
        id: 'grow',
        groups: [
          {
            id: 'cards',
            actions: [
              { id: 'gold-card', kind: 'offer', value: 120, propensity: 0.05, treatments: treatments('gold-card') },
              { id: 'student-card', kind: 'offer', value: 20, propensity: 0.2, treatments: treatments('student-card') },
            ],
          },
        ],
      },
      {
        id: 'service',
        groups: [
          {
            id: 'help',
            actions: [{ id: 'card-expiry', kind: 'service', transactional: true, value: 8, propensity: 0.5, treatments: treatments('card-expiry') }],
          },
        ],
      },
      {
        id: 'risk',
        groups: [
          {
            id: 'regulatory',
            actions: [{ id: 'terms-update', kind: 'risk', mandatory: true, value: 1, propensity: 0.001, treatments: treatments('terms-update') }],
          },
        ],
      },
      {
        id: 'advice',
        groups: [
          {
            id: 'mortgages',
            actions: [{ id: 'mortgage-talk', kind: 'conversation', value: 100, propensity: 0.3, treatments: treatments('mortgage-talk') }],
          },
        ],
      },
    ],
    contactPolicies: {
      timeZone: 'Europe/Lisbon',
      suppressions: [
        { name: 'three strikes', scope: 'action', when: { outcome: 'impression', count: 3, withinDays: 7, withoutPositive: true }, suppressDays: 30 },
        { name: 'no means no', scope: 'group', when: { outcome: 'rejected', count: 1, withinDays: 1 }, suppressDays: 90 },
      ],
      limits: [
        { name: 'email weekly', channel: 'email', max: 2, periodDays: 7 },
        { name: 'outbound weekly', channel: 'all', max: 3, periodDays: 7 },
      ],
      quietHours: [{ channel: 'all', from: '21:00', to: '08:00' }],
    },
    advisors: [
      { id: 'ana', name: 'Ana Costa', topics: ['mortgages', 'investments'], channels: ['branch', 'video'], weeklyCapacity: 2 },
      { id: 'ben', name: 'Ben Silva', topics: ['investments', 'mortgages'], channels: ['phone'], weeklyCapacity: 5 },
      { id: 'carla', name: 'Carla Dias', topics: ['mortgages'], channels: ['phone', 'video'], weeklyCapacity: 1 },
    ],
  };
}
