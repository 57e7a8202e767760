// The model's optional members take no explicit undefined: an object built with
// `key: maybe` becomes one where an undefined key is absent, as it is on the wire.

/** `T` whose optional members also take an explicit undefined. */
export type Loose<T> = {
  [K in keyof T]: Partial<Pick<T, K>> extends Pick<T, K> ? T[K] | undefined : T[K];
};

/** A copy of `value` without its undefined members: setting a member to undefined drops it. */
export function definedMembers<T extends object>(value: Loose<T>): T {
  return Object.fromEntries(Object.entries(value).filter(([, member]) => member !== undefined)) as T;
}
