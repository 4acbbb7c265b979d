/** The five published apis, in the order of their seeds: the one list every layer uses. */
export const API_NAMES = ['watchr', 'galileo', 'pathstack', 'almanac', 'session'] as const;
export type ApiName = (typeof API_NAMES)[number];

export const isApiName = (name: unknown): name is ApiName => (API_NAMES as readonly unknown[]).includes(name);
