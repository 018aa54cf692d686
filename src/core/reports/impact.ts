/**
 * Impact of NBA over the control arm (pure): response rates per arm and the lift
 * (rateNBA - rateControl) / rateControl with a 95% confidence interval from the log relative risk
 * (Katz): se = sqrt(1/xN - 1/nN + 1/xC - 1/nC), lift CI = exp(ln(RR) -/+ 1.96 se) - 1.
 */

export interface ArmFigures {
  decisions: number;
  positives: number;
  /** positives / decisions; null without decisions. */
  rate: number | null;
}

export interface ImpactFigures {
  nba: ArmFigures;
  control: ArmFigures;
  /** (rateNBA - rateControl) / rateControl; null when either rate is unknown or the control rate is 0. */
  lift: number | null;
  /** 95% interval of the lift; null when either arm has no positives (the log method needs both). */
  liftCi95: [number, number] | null;
  /** Why lift or its interval is missing, in words. */
  note?: string;
}

const Z95 = 1.959963984540054;

export function computeImpact(nba: { decisions: number; positives: number }, control: { decisions: number; positives: number }): ImpactFigures {
  const arm = (a: { decisions: number; positives: number }): ArmFigures => ({
    decisions: a.decisions,
    positives: a.positives,
    rate: a.decisions > 0 ? a.positives / a.decisions : null,
  });
  const n = arm(nba);
  const c = arm(control);
  if (n.rate === null || c.rate === null) {
    return { nba: n, control: c, lift: null, liftCi95: null, note: 'an arm has no decisions in this range' };
  }
  if (c.rate === 0) {
    return { nba: n, control: c, lift: null, liftCi95: null, note: 'the control arm has no positive response: lift is undefined' };
  }
  const lift = (n.rate - c.rate) / c.rate;
  if (nba.positives === 0) return { nba: n, control: c, lift, liftCi95: null, note: 'the NBA arm has no positive response: no interval' };
  const se = Math.sqrt(1 / nba.positives - 1 / nba.decisions + 1 / control.positives - 1 / control.decisions);
  const logRr = Math.log(n.rate / c.rate);
  return { nba: n, control: c, lift, liftCi95: [Math.exp(logRr - Z95 * se) - 1, Math.exp(logRr + Z95 * se) - 1] };
}
