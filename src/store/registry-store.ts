// What the registry area keeps, behind one interface for both backends.

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface RegistryStore {}
