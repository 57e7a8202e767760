// Time is injected wherever it matters (signature skew, grace periods, retention)
// so tests control it instead of sleeping.

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
