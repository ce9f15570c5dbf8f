// Class counts of label arrays, without spreading them into Math.max (a spread of a million labels overflows the stack).

/** 1 + the largest label (0 for no labels); a negative or non-integer label is a bug in the producer. */
export function labelClassCount(labels: ArrayLike<number>): number {
  let max = -1;
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i]!;
    if (!(Number.isInteger(v) && v >= 0)) throw new RangeError(`labelClassCount: label ${v} at index ${i} is not a class index`);
    if (v > max) max = v;
  }
  return max + 1;
}
