/**
 * Demo customers for the demo bank (src/demo/catalog.yaml): a deterministic, synthetic population of
 * European retail-bank customers whose attributes are correlated the way a real book is (students
 * are young with small incomes, mortgages are held by people of 30-60, retirees bank less online,
 * risk goes with overdraft, segment A holds the money and the advisors...).
 *
 * Customer `C00000n` is drawn from its own random stream seeded by `${seed}:${n}`, so a smaller
 * population is an exact prefix of a larger one and one customer does not change when the count
 * does. The first ids are hand-picked personas (see DEMO_PERSONAS) and are the same for every seed,
 * so that documentation can show a real decision for a known customer.
 *
 * Profile fields (every customer has every field; numbers are plain JSON numbers):
 *   age, segment ('A' | 'B' | 'C' by value to the bank), income (EUR/year), balance (current account,
 *   EUR, may be negative), savingsBalance (savings account + term deposit, EUR), riskScore (0-1,
 *   probability-like, higher = riskier), creditScore (300-850), churnScore (0-1), products (product
 *   ids, mostly the catalog's action ids: 'checking', 'gold-card', 'mortgage-first-home', ...),
 *   children (dependent children under 18), maritalStatus, employment, city, country (ISO 3166),
 *   timeZone (IANA, consistent with city), preferredLanguage (ISO 639-1), tenureYears, digitalActive,
 *   appUser, lastLoginDays, paperStatements, cardAlerts, cardExpiryMonths (months until the debit
 *   card expires), overdraftDays (days in overdraft in the last 90), mortgageRate (% of the current
 *   mortgage, 0 without one), suspiciousTransactions (flagged, unreviewed), foreignTransactions (card
 *   payments abroad, last 90 days), mailReturned, termsAccepted, hasAdvisor.
 */
import { SeededRandom, sampleNormal, type Random } from '../core/random.js';
import type { JsonObject } from '../core/types.js';

export const DEMO_CUSTOMER_COUNT = 1200;
export const DEMO_SEED = 42;

export interface DemoCustomer {
  customerId: string;
  attributes: JsonObject;
}

/** Every product id a demo customer can hold. */
export const DEMO_PRODUCTS = [
  'checking',
  'gold-card',
  'platinum-card',
  'student-card',
  'personal-loan',
  'car-loan',
  'mortgage-first-home',
  'mortgage-refinance',
  'savings-account',
  'term-deposit',
  'kids-savings',
  'robo-advisor',
  'pension-plan',
  'investment-account',
] as const;
export type DemoProduct = (typeof DEMO_PRODUCTS)[number];

export function demoCustomerId(n: number): string {
  return `C${String(n).padStart(6, '0')}`;
}

// ------------------------------------------------------------------------------------- personas

/** A hand-picked customer at a fixed id, identical for every seed. */
export interface DemoPersona {
  customerId: string;
  /** One line for documentation: who this is and what the demo bank should say to them. */
  summary: string;
  attributes: JsonObject;
}

/**
 * Personas (ids fixed, same for every seed):
 *
 * - C000001 "The young family" (Lisbon): 34, married, 2 children, employed, EUR 68k, segment B, low
 *   risk, a first-home mortgage at 2.1%, savings EUR 22k; no credit card and no kids account.
 *   Eligible for gold-card, kids-savings and pension-top-up (with loans, robo-advisor and an
 *   investment review competing on web and mobile); not for another mortgage.
 * - C000002 "The student" (Madrid): 21, student, EUR 6k from a part-time job, mobile-first, no credit
 *   card. Expect student-card on mobile/web; grow offers such as loans are not eligible.
 * - C000003 "The affluent saver" (Munich): 58, segment A, EUR 145k income, EUR 190k in savings,
 *   has an advisor, no investments. Expect investment-review in branch/call-centre, platinum-card on
 *   web.
 * - C000004 "The customer about to leave" (Amsterdam): 41, segment B, 12 years with the bank, gold
 *   card and mortgage (at 2.4%), savings EUR 18.5k, churnScore 0.78. Eligible for retention
 *   (cancel-save-call, loyalty-bonus, rate-match, fee-waiver), three times as strong with context
 *   {"intent": "cancel"}.
 * - C000005 "The customer in difficulty" (Seville): 29, segment C, 45 days in overdraft, riskScore
 *   0.81. No credit or sales offers (suitability); expect debt-advice and overdraft-warning.
 * - C000006 "The retiree" (Porto): 72, not digital, paper statements, card expiring in 1 month, mail
 *   returned. Expect card-expiry-reminder / address-update on call-centre and branch, app-onboarding.
 * - C000007 "The traveller" (Dublin): 38, gold card, 14 card payments abroad, 2 suspicious payments
 *   to review. Expect fraud-alert-review on push/mobile; travel-notice with context {"reason": "travel"}.
 * - C000008 "The minor" (Antwerp): 17, student. Not eligible for any grow offer (age >= 18); only
 *   service and risk actions apply.
 */
export const DEMO_PERSONAS: readonly DemoPersona[] = [
  persona('C000001', 'Young family in Lisbon, high income, no credit card or kids account', {
    age: 34, segment: 'B', income: 68000, balance: 6200, savingsBalance: 22000,
    riskScore: 0.12, creditScore: 780, churnScore: 0.15,
    products: ['checking', 'mortgage-first-home', 'savings-account'],
    children: 2, maritalStatus: 'married', employment: 'employed',
    city: 'Lisboa', country: 'PT', timeZone: 'Europe/Lisbon', preferredLanguage: 'pt',
    tenureYears: 9, digitalActive: true, appUser: true, lastLoginDays: 1,
    paperStatements: false, cardAlerts: true, cardExpiryMonths: 20, overdraftDays: 0,
    mortgageRate: 2.1, suspiciousTransactions: 0, foreignTransactions: 3,
    mailReturned: false, termsAccepted: true, hasAdvisor: false,
  }),
  persona('C000002', 'Student in Madrid, mobile-first, no credit card yet', {
    age: 21, segment: 'C', income: 6000, balance: 420, savingsBalance: 0,
    riskScore: 0.28, creditScore: 640, churnScore: 0.22,
    products: ['checking'],
    children: 0, maritalStatus: 'single', employment: 'student',
    city: 'Madrid', country: 'ES', timeZone: 'Europe/Madrid', preferredLanguage: 'es',
    tenureYears: 3, digitalActive: true, appUser: true, lastLoginDays: 0,
    paperStatements: false, cardAlerts: true, cardExpiryMonths: 30, overdraftDays: 0,
    mortgageRate: 0, suspiciousTransactions: 0, foreignTransactions: 1,
    mailReturned: false, termsAccepted: true, hasAdvisor: false,
  }),
  persona('C000003', 'Affluent saver in Munich with an advisor, no investments', {
    age: 58, segment: 'A', income: 145000, balance: 38000, savingsBalance: 190000,
    riskScore: 0.05, creditScore: 835, churnScore: 0.1,
    products: ['checking', 'gold-card', 'savings-account', 'term-deposit', 'pension-plan'],
    children: 0, maritalStatus: 'married', employment: 'self-employed',
    city: 'München', country: 'DE', timeZone: 'Europe/Berlin', preferredLanguage: 'de',
    tenureYears: 24, digitalActive: true, appUser: false, lastLoginDays: 6,
    paperStatements: false, cardAlerts: true, cardExpiryMonths: 14, overdraftDays: 0,
    mortgageRate: 0, suspiciousTransactions: 0, foreignTransactions: 6,
    mailReturned: false, termsAccepted: true, hasAdvisor: true,
  }),
  persona('C000004', 'Long-standing customer in Amsterdam about to leave', {
    age: 41, segment: 'B', income: 56000, balance: 3100, savingsBalance: 18500,
    riskScore: 0.18, creditScore: 742, churnScore: 0.78,
    products: ['checking', 'gold-card', 'mortgage-first-home', 'savings-account'],
    children: 1, maritalStatus: 'partnered', employment: 'employed',
    city: 'Amsterdam', country: 'NL', timeZone: 'Europe/Amsterdam', preferredLanguage: 'nl',
    tenureYears: 12, digitalActive: true, appUser: true, lastLoginDays: 41,
    paperStatements: false, cardAlerts: false, cardExpiryMonths: 9, overdraftDays: 0,
    mortgageRate: 2.4, suspiciousTransactions: 0, foreignTransactions: 2,
    mailReturned: false, termsAccepted: true, hasAdvisor: false,
  }),
  persona('C000005', 'Customer in financial difficulty in Seville', {
    age: 29, segment: 'C', income: 14500, balance: -380, savingsBalance: 0,
    riskScore: 0.81, creditScore: 455, churnScore: 0.35,
    products: ['checking', 'personal-loan'],
    children: 1, maritalStatus: 'single', employment: 'employed',
    city: 'Sevilla', country: 'ES', timeZone: 'Europe/Madrid', preferredLanguage: 'es',
    tenureYears: 4, digitalActive: true, appUser: true, lastLoginDays: 2,
    paperStatements: false, cardAlerts: true, cardExpiryMonths: 25, overdraftDays: 45,
    mortgageRate: 0, suspiciousTransactions: 0, foreignTransactions: 0,
    mailReturned: false, termsAccepted: true, hasAdvisor: false,
  }),
  persona('C000006', 'Retiree in Porto, not digital, card about to expire, mail returned', {
    age: 72, segment: 'B', income: 19000, balance: 8400, savingsBalance: 31000,
    riskScore: 0.09, creditScore: 760, churnScore: 0.12,
    products: ['checking', 'savings-account', 'term-deposit'],
    children: 0, maritalStatus: 'widowed', employment: 'retired',
    city: 'Porto', country: 'PT', timeZone: 'Europe/Lisbon', preferredLanguage: 'pt',
    tenureYears: 41, digitalActive: false, appUser: false, lastLoginDays: 900,
    paperStatements: true, cardAlerts: false, cardExpiryMonths: 1, overdraftDays: 0,
    mortgageRate: 0, suspiciousTransactions: 0, foreignTransactions: 0,
    mailReturned: true, termsAccepted: false, hasAdvisor: false,
  }),
  persona('C000007', 'Frequent traveller in Dublin with suspicious payments to review', {
    age: 38, segment: 'B', income: 72000, balance: 5400, savingsBalance: 9000,
    riskScore: 0.14, creditScore: 768, churnScore: 0.2,
    products: ['checking', 'gold-card', 'savings-account'],
    children: 0, maritalStatus: 'single', employment: 'employed',
    city: 'Dublin', country: 'IE', timeZone: 'Europe/Dublin', preferredLanguage: 'en',
    tenureYears: 6, digitalActive: true, appUser: true, lastLoginDays: 0,
    paperStatements: false, cardAlerts: true, cardExpiryMonths: 16, overdraftDays: 0,
    mortgageRate: 0, suspiciousTransactions: 2, foreignTransactions: 14,
    mailReturned: false, termsAccepted: true, hasAdvisor: false,
  }),
  persona('C000008', 'Minor (17) in Antwerp: no sales offers, only service and risk', {
    age: 17, segment: 'C', income: 1200, balance: 260, savingsBalance: 900,
    riskScore: 0.2, creditScore: 600, churnScore: 0.18,
    products: ['checking', 'savings-account'],
    children: 0, maritalStatus: 'single', employment: 'student',
    city: 'Antwerpen', country: 'BE', timeZone: 'Europe/Brussels', preferredLanguage: 'nl',
    tenureYears: 1, digitalActive: true, appUser: true, lastLoginDays: 3,
    paperStatements: false, cardAlerts: false, cardExpiryMonths: 40, overdraftDays: 0,
    mortgageRate: 0, suspiciousTransactions: 0, foreignTransactions: 0,
    mailReturned: false, termsAccepted: true, hasAdvisor: false,
  }),
];

function persona(customerId: string, summary: string, attributes: JsonObject): DemoPersona {
  return { customerId, summary, attributes };
}

// ------------------------------------------------------------------------------------ generator

/**
 * The demo population: `count` customers `C000001`.., the first DEMO_PERSONAS.length of them the
 * personas, the rest drawn from `seed`. Same (count, seed), same customers.
 */
export function generateDemoCustomers(count = DEMO_CUSTOMER_COUNT, seed = DEMO_SEED): DemoCustomer[] {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, got ${count}`);
  const out: DemoCustomer[] = [];
  for (let n = 1; n <= count; n++) {
    const fixed = DEMO_PERSONAS[n - 1];
    if (fixed) {
      out.push({ customerId: fixed.customerId, attributes: structuredClone(fixed.attributes) });
    } else {
      out.push({ customerId: demoCustomerId(n), attributes: generateOne(new SeededRandom(`${seed}:${n}`)) });
    }
  }
  return out;
}

interface CityDef {
  city: string;
  weight: number;
  timeZone?: string;
  language?: string;
}
interface CountryDef {
  code: string;
  weight: number;
  timeZone: string;
  language: string;
  /** Income level relative to the euro-area average. */
  incomeFactor: number;
  cities: CityDef[];
}

const COUNTRIES: CountryDef[] = [
  {
    code: 'PT', weight: 30, timeZone: 'Europe/Lisbon', language: 'pt', incomeFactor: 0.62,
    cities: [
      { city: 'Lisboa', weight: 35 }, { city: 'Porto', weight: 22 }, { city: 'Braga', weight: 10 },
      { city: 'Coimbra', weight: 8 }, { city: 'Faro', weight: 7 }, { city: 'Aveiro', weight: 6 },
      { city: 'Funchal', weight: 7, timeZone: 'Atlantic/Madeira' },
      { city: 'Ponta Delgada', weight: 5, timeZone: 'Atlantic/Azores' },
    ],
  },
  {
    code: 'ES', weight: 25, timeZone: 'Europe/Madrid', language: 'es', incomeFactor: 0.8,
    cities: [
      { city: 'Madrid', weight: 32 }, { city: 'Barcelona', weight: 25 }, { city: 'Valencia', weight: 12 },
      { city: 'Sevilla', weight: 10 }, { city: 'Bilbao', weight: 7 }, { city: 'Málaga', weight: 7 },
      { city: 'Las Palmas de Gran Canaria', weight: 7, timeZone: 'Atlantic/Canary' },
    ],
  },
  {
    code: 'DE', weight: 15, timeZone: 'Europe/Berlin', language: 'de', incomeFactor: 1.15,
    cities: [
      { city: 'Berlin', weight: 28 }, { city: 'Hamburg', weight: 18 }, { city: 'München', weight: 18 },
      { city: 'Köln', weight: 14 }, { city: 'Frankfurt am Main', weight: 12 }, { city: 'Stuttgart', weight: 10 },
    ],
  },
  {
    code: 'NL', weight: 12, timeZone: 'Europe/Amsterdam', language: 'nl', incomeFactor: 1.15,
    cities: [
      { city: 'Amsterdam', weight: 35 }, { city: 'Rotterdam', weight: 25 }, { city: 'Den Haag', weight: 20 },
      { city: 'Utrecht', weight: 20 },
    ],
  },
  {
    code: 'FR', weight: 8, timeZone: 'Europe/Paris', language: 'fr', incomeFactor: 1.0,
    cities: [
      { city: 'Paris', weight: 45 }, { city: 'Lyon', weight: 20 }, { city: 'Marseille', weight: 18 },
      { city: 'Bordeaux', weight: 17 },
    ],
  },
  {
    code: 'IE', weight: 5, timeZone: 'Europe/Dublin', language: 'en', incomeFactor: 1.15,
    cities: [{ city: 'Dublin', weight: 65 }, { city: 'Cork', weight: 20 }, { city: 'Galway', weight: 15 }],
  },
  {
    code: 'BE', weight: 5, timeZone: 'Europe/Brussels', language: 'nl', incomeFactor: 1.1,
    cities: [
      { city: 'Bruxelles', weight: 35, language: 'fr' }, { city: 'Antwerpen', weight: 30 },
      { city: 'Gent', weight: 20 }, { city: 'Liège', weight: 15, language: 'fr' },
    ],
  },
];

/** Age bands and their share of the customer base (a little older than the population). */
const AGE_BANDS: Array<{ from: number; to: number; weight: number }> = [
  { from: 16, to: 17, weight: 3 },
  { from: 18, to: 24, weight: 11 },
  { from: 25, to: 34, weight: 18 },
  { from: 35, to: 44, weight: 19 },
  { from: 45, to: 54, weight: 17 },
  { from: 55, to: 64, weight: 15 },
  { from: 65, to: 74, weight: 11 },
  { from: 75, to: 90, weight: 6 },
];

function generateOne(r: Random): JsonObject {
  const u = (): number => r.next();
  const chance = (p: number): boolean => r.next() < p;
  const normal = (): number => sampleNormal(r);
  const between = (lo: number, hi: number): number => lo + (hi - lo) * r.next();
  const intBetween = (lo: number, hi: number): number => Math.floor(between(lo, hi + 1));
  const logNormal = (median: number, sigma: number): number => median * Math.exp(sigma * normal());

  // --- where
  const country = pick(r, COUNTRIES);
  const place = pick(r, country.cities);
  const timeZone = place.timeZone ?? country.timeZone;
  const preferredLanguage = chance(0.06) && country.language !== 'en' ? 'en' : (place.language ?? country.language);

  // --- who
  const band = pick(r, AGE_BANDS);
  const age = intBetween(band.from, band.to);

  let employment: string;
  if (age < 18) employment = 'student';
  else if (age <= 24) employment = pickWeighted(r, [['student', 55], ['employed', 37], ['unemployed', 8]]);
  else if (age <= 29) employment = pickWeighted(r, [['employed', 76], ['self-employed', 8], ['student', 8], ['unemployed', 8]]);
  else if (age <= 59) employment = pickWeighted(r, [['employed', 77], ['self-employed', 15], ['unemployed', 8]]);
  else if (age <= 66) employment = pickWeighted(r, [['retired', 15 + (age - 60) * 12], ['employed', 55], ['self-employed', 15], ['unemployed', 6]]);
  else employment = pickWeighted(r, [['retired', 92], ['self-employed', 5], ['employed', 3]]);

  let maritalStatus: string;
  if (age < 25) maritalStatus = pickWeighted(r, [['single', 90], ['partnered', 10]]);
  else if (age < 35) maritalStatus = pickWeighted(r, [['single', 42], ['married', 32], ['partnered', 26]]);
  else if (age < 65) maritalStatus = pickWeighted(r, [['married', 58], ['single', 17], ['divorced', 15], ['partnered', 10]]);
  else maritalStatus = pickWeighted(r, [['married', 55], ['widowed', 25], ['divorced', 10], ['single', 10]]);

  // Dependent children (under 18): parents of roughly 25 to 60.
  let children = 0;
  if (age >= 22 && age <= 60) {
    const coupled = maritalStatus === 'married' || maritalStatus === 'partnered';
    const peak = age >= 30 && age <= 50 ? 1 : 0.45;
    const pParent = (coupled ? 0.72 : maritalStatus === 'divorced' ? 0.5 : 0.14) * peak;
    if (chance(pParent)) children = pickWeighted(r, [[1, 42], [2, 41], [3, 13], [4, 4]]);
  }

  // --- money: income by employment, career stage and country
  const careerFactor = age < 25 ? 0.65 : age < 35 ? 0.9 : age < 45 ? 1.08 : age < 60 ? 1.15 : 1.05;
  let income: number;
  switch (employment) {
    case 'student':
      income = age < 18 ? between(0, 2500) : chance(0.55) ? between(2000, 11000) : between(0, 2000);
      break;
    case 'unemployed':
      income = between(5000, 15000) * country.incomeFactor;
      break;
    case 'retired':
      income = logNormal(19000, 0.45) * country.incomeFactor;
      break;
    case 'self-employed':
      income = logNormal(40000, 0.75) * careerFactor * country.incomeFactor;
      break;
    default:
      income = logNormal(36000, 0.5) * careerFactor * country.incomeFactor;
  }
  income = roundTo(Math.max(0, income), 100);

  // Financial stress: a latent factor behind overdrafts and the risk score.
  const stress =
    normal() * 0.9 +
    (employment === 'unemployed' ? 1.4 : 0) +
    (income < 15000 && employment !== 'student' ? 0.6 : 0) +
    (income > 70000 ? -0.7 : 0) +
    (children >= 3 ? 0.3 : 0) +
    (age < 25 && employment !== 'student' ? 0.3 : 0) -
    (age >= 65 ? 0.5 : 0);
  const overdraftDays = stress > 1.0 && age >= 18 ? Math.min(90, Math.round((stress - 1.0) * 35 + between(0, 12))) : 0;
  const riskScore = round(clamp(sigmoid(-2.0 + 1.25 * stress + overdraftDays / 40), 0.01, 0.99), 3);
  const creditScore = Math.round(clamp(840 - 480 * riskScore + normal() * 35, 300, 850));

  // Current account: about a month of income, less when stressed; negative while in overdraft.
  let balance = (income / 12) * Math.exp(0.7 * normal()) * (stress > 0.5 ? 0.4 : 1.1) + between(0, 400);
  if (overdraftDays > 0 && chance(0.55)) balance = -between(50, 1500);
  balance = round(balance, 2);

  // --- products
  const products = new Set<DemoProduct>();
  const adult = age >= 18;
  if (!chance(0.03)) products.add('checking');

  const wealth = income * between(0, 1.8) * (age >= 45 ? 1.8 : age >= 30 ? 1.0 : 0.45) * (stress > 0.8 ? 0.2 : 1);
  if (chance(age >= 50 ? 0.55 : age >= 25 ? 0.42 : 0.3) || wealth > 60000) products.add('savings-account');
  if (adult && wealth > 15000 && chance(age >= 55 ? 0.5 : 0.22)) products.add('term-deposit');
  let savingsBalance = 0;
  if (products.has('savings-account')) savingsBalance += Math.max(100, wealth * between(0.4, 1));
  if (products.has('term-deposit')) savingsBalance += Math.max(5000, wealth * between(0.3, 0.8));
  savingsBalance = roundTo(savingsBalance, 10);

  const assets = Math.max(0, balance) + savingsBalance;
  const segment = income >= 75000 || assets >= 150000 ? 'A' : income >= 35000 || assets >= 30000 ? 'B' : 'C';

  if (adult && riskScore < 0.75) {
    if ((income >= 80000 || segment === 'A') && chance(0.35)) products.add('platinum-card');
    else if (income >= 30000 && chance(0.3)) products.add('gold-card');
    else if (income >= 15000 && chance(0.05)) products.add('gold-card');
  }
  if (employment === 'student' && age >= 18 && age <= 27 && chance(0.3)) products.add('student-card');

  if (adult && income >= 12000 && employment !== 'retired') {
    if (chance(age >= 25 && age <= 60 ? 0.15 : 0.06) || (stress > 1.2 && chance(0.3))) products.add('personal-loan');
    if (age >= 21 && chance(0.1)) products.add('car-loan');
  }

  // Mortgages: mostly bought at 28-45 and held until 60-65.
  let mortgageRate = 0;
  if (age >= 24 && age <= 70 && income >= 18000 && employment !== 'student') {
    const pMortgage = age < 30 ? 0.12 : age <= 60 ? 0.42 : 0.2;
    const coupledBoost = maritalStatus === 'married' || maritalStatus === 'partnered' ? 1.3 : 0.75;
    if (chance(pMortgage * coupledBoost)) {
      if (chance(0.15) && age >= 35) {
        products.add('mortgage-refinance');
        mortgageRate = round(between(2.3, 3.4), 2);
      } else {
        products.add('mortgage-first-home');
        // Older mortgages were signed at higher rates (or have variable rates that rose).
        mortgageRate = round(clamp(between(1.1, 3.2) + (age > 45 ? between(0, 1.8) : between(0, 0.8)), 0.8, 5.2), 2);
      }
    }
  }

  if (children > 0 && chance(0.35)) products.add('kids-savings');

  const digitalP = age < 35 ? 0.93 : age < 55 ? 0.84 : age < 70 ? 0.6 : 0.3;
  const digitalActive = chance(digitalP);
  const appUser = digitalActive && chance(age < 35 ? 0.88 : age < 55 ? 0.75 : 0.5);

  if (adult && digitalActive && age <= 60 && income >= 30000 && chance(0.12)) products.add('robo-advisor');
  if ((employment === 'employed' || employment === 'self-employed') && age >= 28 && chance(age >= 40 ? 0.32 : 0.15)) {
    products.add('pension-plan');
  } else if (employment === 'retired' && chance(0.12)) {
    products.add('pension-plan');
  }
  if ((segment === 'A' && chance(0.45)) || (segment === 'B' && chance(0.08))) products.add('investment-account');

  const hasAdvisor = segment === 'A' ? chance(0.7) : segment === 'B' ? chance(0.12) : chance(0.02);

  // --- relationship and behaviour
  const tenureYears = round(Math.min(age - 16 + u(), Math.max(0.1, -Math.log(1 - u()) * 10)), 1);
  const lastLoginDays = digitalActive
    ? Math.min(89, Math.floor(-Math.log(1 - u()) * (appUser ? 3 : 14)))
    : 90 + Math.floor(-Math.log(1 - u()) * 400);
  const paperStatements = !digitalActive || chance(0.22);
  const cardAlerts = digitalActive ? chance(appUser ? 0.6 : 0.3) : chance(0.08);
  const cardExpiryMonths = intBetween(0, 47);

  // Churn: short tenure, few products, dormant digital customers, fee-paying segment C, stress.
  const productCount = products.size;
  const churnScore = round(
    clamp(
      sigmoid(
        -1.4 +
          normal() * 1.0 +
          (tenureYears < 3 ? 0.6 : tenureYears > 15 ? -0.5 : 0) +
          (productCount <= 1 ? 0.8 : productCount >= 4 ? -0.6 : 0) +
          (digitalActive && lastLoginDays > 30 ? 0.9 : 0) +
          (segment === 'C' ? 0.15 : 0) +
          (stress > 1 ? 0.3 : 0) +
          (products.has('mortgage-first-home') || products.has('mortgage-refinance') ? -0.7 : 0),
      ),
      0.01,
      0.99,
    ),
    3,
  );

  const travelRate = (income > 50000 ? 4 : income > 25000 ? 2 : 0.8) * (age >= 75 ? 0.3 : 1);
  const foreignTransactions = chance(income > 40000 ? 0.45 : 0.22) ? 1 + Math.floor(-Math.log(1 - u()) * travelRate * 2) : 0;
  const suspiciousTransactions = chance(0.03 + (foreignTransactions > 5 ? 0.03 : 0)) ? pickWeighted(r, [[1, 70], [2, 22], [3, 8]]) : 0;
  const mailReturned = chance(age < 30 ? 0.06 : 0.03);
  // The 2026 terms: most digital customers acknowledged them online; branch customers lag behind.
  const termsAccepted = chance(digitalActive ? 0.93 : 0.7);

  const ordered = DEMO_PRODUCTS.filter((p) => products.has(p));
  return {
    age,
    segment,
    income,
    balance,
    savingsBalance,
    riskScore,
    creditScore,
    churnScore,
    products: ordered,
    children,
    maritalStatus,
    employment,
    city: place.city,
    country: country.code,
    timeZone,
    preferredLanguage,
    tenureYears,
    digitalActive,
    appUser,
    lastLoginDays,
    paperStatements,
    cardAlerts,
    cardExpiryMonths,
    overdraftDays,
    mortgageRate,
    suspiciousTransactions,
    foreignTransactions,
    mailReturned,
    termsAccepted,
    hasAdvisor,
  };
}

// -------------------------------------------------------------------------------------- helpers

function pick<T extends { weight: number }>(r: Random, items: readonly T[]): T {
  const total = items.reduce((sum, item) => sum + item.weight, 0);
  let x = r.next() * total;
  for (const item of items) {
    x -= item.weight;
    if (x < 0) return item;
  }
  const last = items[items.length - 1];
  if (last === undefined) throw new RangeError('pick from an empty list');
  return last;
}

function pickWeighted<T>(r: Random, items: ReadonlyArray<readonly [T, number]>): T {
  return pick(r, items.map(([value, weight]) => ({ value, weight }))).value;
}

function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function roundTo(x: number, step: number): number {
  return Math.round(x / step) * step;
}
