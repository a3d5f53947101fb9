/** Shared command-line flag helpers. */

/** collect gathers a repeatable flag's values. */
export const collect = (v: string, prev: string[]): string[] => [...prev, v];
