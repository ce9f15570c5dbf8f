// Input checks shared by the figure builders: an error names the builder, the series, the field, what was
// found and what was expected.

export function checkSeriesList(builder: string, series: unknown): void {
  if (!Array.isArray(series) || series.length === 0)
    throw new Error(`${builder}: expected a non-empty array of series, found ${Array.isArray(series) ? 'an empty array' : typeof series}`);
}

/** Checks the named arrays are arrays of numbers (null/NaN allowed as gaps) of equal length; returns it. */
export function checkArrays(builder: string, label: string, arrays: Record<string, unknown>, opts: { optional?: string[] } = {}): number {
  let length: number | undefined;
  let first = '';
  for (const [field, value] of Object.entries(arrays)) {
    if (value === undefined && opts.optional?.includes(field)) continue;
    if (!Array.isArray(value))
      throw new Error(`${builder}: series '${label}' field '${field}' is ${value === undefined ? 'missing' : typeof value}, expected an array of numbers`);
    const bad = value.findIndex((v) => v !== null && typeof v !== 'number');
    if (bad >= 0)
      throw new Error(`${builder}: series '${label}' field '${field}[${bad}]' is ${JSON.stringify(value[bad])}, expected a number`);
    if (length === undefined) {
      length = value.length;
      first = field;
    } else if (value.length !== length) {
      throw new Error(`${builder}: series '${label}' field '${field}' has ${value.length} entries, expected ${length} (the length of '${first}')`);
    }
  }
  return length ?? 0;
}

export function checkLabel(builder: string, index: number, label: unknown): string {
  if (typeof label !== 'string' || label === '') throw new Error(`${builder}: series ${index} field 'label' is ${JSON.stringify(label)}, expected a non-empty string`);
  return label;
}
