import { OnnxEmitError } from "./errors.js";

/**
 * One ONNX namespace (value names, or node names): every name used once. User names (inputs,
 * parameters, outputs) are reserved first, so a generated name can never take one of them; a
 * generated name that is taken gets a `__2`, `__3`, … suffix, in a deterministic order.
 */
export class NameTable {
  private readonly used = new Set<string>();

  has(name: string): boolean {
    return this.used.has(name);
  }

  reserve(name: string, what: string): void {
    if (name === "") throw new OnnxEmitError(`${what} has an empty name`);
    if (this.used.has(name)) throw new OnnxEmitError(`${what}: the name \`${name}\` is already used in the graph`);
    this.used.add(name);
  }

  fresh(base: string): string {
    let name = base;
    for (let k = 2; this.used.has(name); k++) name = `${base}__${k}`;
    this.used.add(name);
    return name;
  }
}
