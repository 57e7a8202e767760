// What the store throws that callers act on; each caller turns it into its domain's error.

/** A unique key was taken: the caller turns it into its domain's error. */
export class UniqueViolation extends Error {}

/** A page key (`after`) that no page of this listing could have produced. */
export class BadPageKey extends Error {}
