import { InvalidArgumentError } from "commander";

/** Option-value parsers: a bad value is a usage error (exit 2), reported by commander. */

export function integerIn(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\s*-?\d+\s*$/.test(value) || !Number.isSafeInteger(n)) throw new InvalidArgumentError("Not an integer.");
    if (n < min || n > max) {
      throw new InvalidArgumentError(max === Number.MAX_SAFE_INTEGER ? `Must be ${min} or more.` : `Must be from ${min} to ${max}.`);
    }
    return n;
  };
}

export const positiveInteger = integerIn(1);
export const nonNegativeInteger = integerIn(0);
