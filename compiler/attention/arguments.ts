import type { Span } from "../../grammar/span.js";
import type { GlobalTokens } from "./patterns/global.js";
import type { LayoutFile } from "./layout-file.js";

/** A `layout "FILE"` argument once the file is read. */
export interface LayoutFileArgument {
  /** As written in the spec. */
  readonly path: string;
  readonly file: LayoutFile;
}

export type ArgumentValue = number | GlobalTokens | LayoutFileArgument;

/**
 * The evaluated arguments of one pattern term, by parameter name, with where each was written
 * (absent for defaults and for arguments built in code), so checks can point at the number.
 */
export class PatternArguments {
  constructor(
    readonly values: ReadonlyMap<string, ArgumentValue>,
    readonly spans: ReadonlyMap<string, Span> = new Map(),
    /** For list arguments (`global [0, 4096]`): the span of each item, in order. */
    readonly itemSpans: ReadonlyMap<string, readonly Span[]> = new Map(),
  ) {}

  /** Arguments built in code: `PatternArguments.of({ size: 256, dilation: 2 })`. */
  static of(values: Readonly<Record<string, ArgumentValue>>): PatternArguments {
    return new PatternArguments(new Map(Object.entries(values)));
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  number(name: string): number | undefined {
    const value = this.values.get(name);
    return typeof value === "number" ? value : undefined;
  }

  global(name: string): GlobalTokens | undefined {
    const value = this.values.get(name);
    return typeof value === "object" && ("positions" in value || "leadingBlocks" in value) ? value : undefined;
  }

  file(name: string): LayoutFileArgument | undefined {
    const value = this.values.get(name);
    return typeof value === "object" && "file" in value ? value : undefined;
  }

  span(name: string): Span | undefined {
    return this.spans.get(name);
  }
}
