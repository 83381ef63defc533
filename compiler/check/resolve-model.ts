import type { Expression, ModelDeclaration, NameExpression } from "../../grammar/ast.js";
import { Codes, error, type Diagnostic } from "../../grammar/diagnostics.js";
import type { Span } from "../../grammar/span.js";
import type { ModelSpec, TargetSpec } from "../spec.js";
import type { LayoutFiles, LoadFile } from "./attention/files.js";
import type { CheckpointFiles } from "./checkpoint.js";
import { resolveAttention, type ResolvedAttention } from "./attention/resolve.js";
import { checkConsistency, type ModelView } from "./consistency.js";
import { countParameters } from "./count.js";
import { evaluate } from "./evaluate.js";
import type { Lineage } from "./extends.js";
import {
  FIELD_NAMES,
  FIELDS,
  NUMERIC_FIELDS,
  REQUIRED_FIELDS,
  isFieldName,
  type BuildEnv,
  type FieldName,
  type FieldSchema,
  type FieldValues,
} from "./fields.js";
import { formatCount, listOf, quote } from "./format.js";
import type { LetScope } from "./lets.js";
import { LIMITS } from "./limits.js";
import { checkNumber, type NumberRule } from "./numbers.js";
import type { ReadField } from "./read.js";
import type { DeclaredField, ModelMembers } from "./read-model.js";
import { readOptimizeBlock, type OptimizeDirective } from "./optimize/index.js";
import { contains, type Report } from "./report.js";
import { didYouMean } from "./suggest.js";
import { DEFAULT_TARGET, TARGET_FIELDS, type TargetFieldName, type TargetValues } from "./target.js";

export interface ResolveOptions {
  readonly lineage: Lineage;
  readonly members: (model: ModelDeclaration) => ModelMembers;
  readonly lets: LetScope;
  /** Report missing required fields. False for a model that only serves as a parent. */
  readonly concrete: boolean;
  /** Layout files named by `layout "FILE"` patterns, read once per run. */
  readonly layoutFiles: LayoutFiles;
  /** Checkpoints named by `weights "FILE" layout …`, their headers read once per run. */
  readonly checkpoints: CheckpointFiles;
  /** Reads other files a spec names (calibration token ids); without it, naming one is an error. */
  readonly loadFile?: LoadFile;
  readonly report: Report;
}

/**
 * Resolves one model with its ancestors applied: evaluates every field in this model (so `4 * width`
 * uses the child's width), applies defaults, checks the fields against each other and the size limits.
 * Returns the spec when the model is complete and raised no error.
 */
export function resolveModel(model: ModelDeclaration, options: ResolveOptions): ModelSpec | undefined {
  const fields = new Map<FieldName, DeclaredField>();
  const targetFields = new Map<TargetFieldName, DeclaredField>();
  let targetName: Span | undefined;
  let attentionBlock: ModelMembers["attention"];
  let optimizeBlock: ModelMembers["optimize"];
  for (const declaration of options.lineage.chain) {
    const members = options.members(declaration);
    for (const [name, field] of members.fields) fields.set(name, field);
    // A child's attention block replaces its parent's whole: rules are not merged across models.
    if (members.attention) attentionBlock = members.attention;
    if (members.optimize) optimizeBlock = members.optimize;
    if (members.target) {
      targetName = members.target.block.name.span;
      for (const [name, field] of members.target.fields) targetFields.set(name, field);
    }
  }

  let problems = 0;
  const report: Report = (diagnostic) => {
    problems++;
    // A problem in an inherited field can depend on this model's values: say which model it is.
    options.report(
      contains(model.span, diagnostic.span)
        ? diagnostic
        : {
            ...diagnostic,
            labels: [...(diagnostic.labels ?? []), { span: model.name.span, message: `while checking ${quote(model.name.name)}` }],
          },
    );
  };

  const resolver = new FieldResolver(model, fields, options.lets, report);
  const values = new Map<FieldName, unknown>();
  for (const name of FIELD_NAMES) values.set(name, resolver.field(name));
  const target = resolveTarget(targetFields, resolver);

  const missing = REQUIRED_FIELDS.filter((name) => !fields.has(name));
  if (options.concrete && !options.lineage.broken && missing.length > 0) {
    report(
      error(Codes.MissingField, `model ${quote(model.name.name)} is missing ${listOf(missing.map(quote))}`, model.name.span, {
        label: `no ${missing.join(", ")}`,
        help: `every model sets ${listOf(REQUIRED_FIELDS)}, itself or through \`extends\``,
      }),
    );
  }

  const view: ModelView = {
    model,
    value: (name) => resolver.field(name),
    written: (name) => fields.get(name)?.field.span,
    variantSpan: (name) => fields.get(name)?.read.variant?.span,
  };
  checkConsistency(view, report);

  let attention: ResolvedAttention | undefined;
  if (attentionBlock) {
    const kind = resolver.field("kind");
    const context = resolver.field("context");
    const layers = resolver.field("layers");
    const heads = resolver.field("heads");
    if (kind !== undefined && context !== undefined && layers !== undefined && heads !== undefined) {
      attention = resolveAttention(attentionBlock, {
        model: model.name.name,
        causal: kind === "decoder",
        context,
        layers,
        heads,
        contextSpan: fields.get("context")?.field.span,
        number: (expr, rule) => resolver.expression(expr, rule),
        layoutFile: (path, span) => options.layoutFiles.read(path, span, report),
        report,
      });
    }
  }

  let optimize: readonly OptimizeDirective[] | undefined;
  if (optimizeBlock) {
    optimize = resolveOptimize(optimizeBlock, problems === 0 ? resolver : undefined, model.name.name, report, options.loadFile);
    if (!optimize) return undefined;
  }

  if (problems > 0 || !target || missing.length > 0 || (attention && !attention.ok)) return undefined;
  const get = <K extends FieldName>(name: K) => values.get(name) as FieldValues[K] | undefined;
  const kind = get("kind");
  const vocab = get("vocab");
  const context = get("context");
  const width = get("width");
  const layers = get("layers");
  const heads = get("heads");
  const kvHeads = get("kv_heads");
  const headDim = get("head_dim");
  const ffn = get("ffn");
  const norm = get("norm");
  const position = get("position");
  const bias = get("bias");
  const tokenTypes = get("token_types");
  const output = get("output");
  const weights = get("weights");
  if (
    kind === undefined || vocab === undefined || context === undefined || width === undefined ||
    layers === undefined || heads === undefined || kvHeads === undefined || headDim === undefined ||
    ffn === undefined || norm === undefined || position === undefined || bias === undefined ||
    tokenTypes === undefined || output === undefined || weights === undefined || get("embedding") === undefined
  ) {
    return undefined;
  }

  const spans: Record<string, Span> = { model: model.name.span };
  for (const [name, field] of fields) spans[name] = field.field.span;
  if (targetName) spans.target = targetName;
  for (const [name, field] of targetFields) spans[name] = field.field.span;
  if (attentionBlock) spans.attention = attentionBlock.block.span;
  if (optimizeBlock) spans.optimize = optimizeBlock.span;

  const spec: ModelSpec = {
    name: model.name.name,
    kind, vocab, context, width, layers, heads, kvHeads, headDim, ffn, norm, position, bias, tokenTypes, output, weights,
    target,
    ...(attention?.layouts ? { attention: attention.layouts } : {}),
    ...(optimize && optimize.length > 0 ? { optimize } : {}),
    spans,
  };

  const parameters = countParameters(spec).total;
  if (parameters > LIMITS.parameters.max) {
    report(
      error(
        Codes.TooLarge,
        `model ${quote(model.name.name)} has ${formatCount(parameters)} parameters, above the limit of ${formatCount(LIMITS.parameters.max)}`,
        model.name.span,
        {
          label: "too many parameters",
          help: "tfc rejects models this large before allocating anything; reduce `layers`, `width`, `ffn` or `vocab`",
        },
      ),
    );
    return undefined;
  }
  if (spec.weights.kind === "checkpoint") {
    const slots = fields.get("weights")!.read.slots;
    const weights = options.checkpoints.bind(spec, { file: slots.get("FILE")!.span, layout: slots.get("layout")!.span }, report);
    return weights && { ...spec, weights };
  }
  return spec;
}

/** The optimize block checked against this model's resolved fields (compiler/check/optimize). */
function resolveOptimize(
  block: NonNullable<ModelMembers["optimize"]>,
  resolver: FieldResolver | undefined,
  name: string,
  report: Report,
  loadFile?: LoadFile,
): readonly OptimizeDirective[] | undefined {
  if (!resolver) return readOptimizeBlock(block, { number: () => undefined, report });
  const kind = resolver.field("kind");
  const vocab = resolver.field("vocab");
  const width = resolver.field("width");
  const layers = resolver.field("layers");
  const heads = resolver.field("heads");
  const kvHeads = resolver.field("kv_heads");
  const headDim = resolver.field("head_dim");
  const ffn = resolver.field("ffn");
  const output = resolver.field("output");
  const context = resolver.field("context");
  if (
    kind === undefined || vocab === undefined || width === undefined || layers === undefined || heads === undefined ||
    kvHeads === undefined || headDim === undefined || ffn === undefined || output === undefined
  ) {
    return readOptimizeBlock(block, { number: () => undefined, report });
  }
  return readOptimizeBlock(block, {
    model: { name, kind, vocab, width, layers, heads, kvHeads, headDim, ffnSize: ffn.size, activation: ffn.activation, output, ...(context !== undefined ? { context } : {}) },
    number: (expr, rule) => resolver.expression(expr, rule),
    report,
    ...(loadFile ? { loadFile } : {}),
  });
}

function resolveTarget(fields: ReadonlyMap<TargetFieldName, DeclaredField>, env: BuildEnv): TargetSpec | undefined {
  const value = <K extends keyof TargetValues>(name: K, fallback: TargetValues[K]): TargetValues[K] | undefined => {
    const declared = fields.get(name);
    if (!declared) return fallback;
    if (!declared.read.valid) return undefined;
    return TARGET_FIELDS[name].build?.(declared.read, env) as TargetValues[K] | undefined;
  };
  const opset = value("opset", DEFAULT_TARGET.opset);
  const devices = value("device", DEFAULT_TARGET.devices);
  const precision = value("precision", DEFAULT_TARGET.precision);
  if (opset === undefined || devices === undefined || precision === undefined) return undefined;
  return { opset, devices, precision };
}

/** Field values of one model, computed on demand so fields may refer to each other in any order. */
class FieldResolver implements BuildEnv {
  private readonly values = new Map<FieldName, { readonly value: unknown }>();
  private readonly inProgress: FieldName[] = [];

  constructor(
    private readonly model: ModelDeclaration,
    private readonly fields: ReadonlyMap<FieldName, DeclaredField>,
    private readonly lets: LetScope,
    readonly report: Report,
  ) {}

  field<K extends FieldName>(name: K): FieldValues[K] | undefined {
    const done = this.values.get(name);
    if (done) return done.value as FieldValues[K] | undefined;
    if (this.inProgress.includes(name)) {
      this.reportCycle(name);
      return undefined;
    }
    this.inProgress.push(name);
    const schema: FieldSchema<K> = FIELDS[name];
    const declared = this.fields.get(name);
    let value: FieldValues[K] | undefined;
    if (declared) value = declared.read.valid ? schema.build(declared.read, this) : undefined;
    else value = schema.fallback?.(this);
    this.inProgress.pop();
    if (!this.values.has(name)) this.values.set(name, { value });
    return this.values.get(name)!.value as FieldValues[K] | undefined;
  }

  number(read: ReadField, key: string, rule: NumberRule): number | undefined {
    const slot = read.slots.get(key);
    if (slot?.kind !== "number") return undefined;
    return this.expression(slot.expr, rule);
  }

  /** Evaluates an expression written in this model (an attention argument) and checks it against `rule`. */
  expression(expr: Expression, rule: NumberRule): number | undefined {
    const evaluated = evaluate(expr, this.resolveName, this.report);
    return evaluated && checkNumber(expr, evaluated, rule, this.report);
  }

  private readonly resolveName = (expr: NameExpression): number | undefined => {
    const name = expr.name;
    if (isFieldName(name)) {
      if (FIELDS[name].numeric) return this.field(name) as number | undefined;
      this.report(
        error(Codes.BadValue, `${quote(name)} is not a number`, expr.span, {
          label: "not a number",
          help: `expressions can use numbers, \`let\`s and the fields ${listOf(NUMERIC_FIELDS)}`,
        }),
      );
      return undefined;
    }
    if (this.lets.has(name)) return this.lets.value(name);
    const suggestion = didYouMean(name, [...NUMERIC_FIELDS, ...this.lets.names()]);
    this.report(
      error(Codes.UnknownName, `unknown name ${quote(name)}`, expr.span, {
        label: "not a field or `let`",
        help: suggestion
          ? `did you mean ${quote(suggestion)}?`
          : `expressions can use numbers, \`let\`s and the fields ${listOf(NUMERIC_FIELDS)}`,
        fix: suggestion ? { span: expr.span, replacement: suggestion } : undefined,
      }),
    );
    return undefined;
  };

  private reportCycle(name: FieldName): void {
    const cycle = [...this.inProgress.slice(this.inProgress.indexOf(name)), name];
    const members = cycle.slice(0, -1);
    const written = members.filter((member) => this.fields.has(member));
    const defaulted = members.filter((member) => !this.fields.has(member));
    const primary = written.length > 0 ? this.fields.get(written[0])!.field.span : this.model.name.span;
    const diagnostic: Diagnostic = error(
      Codes.CyclicDefinition,
      `${quote(cycle[0])} is defined in terms of itself: ${cycle.join(" → ")}`,
      primary,
      {
        label: "defined in terms of itself",
        labels: written.slice(1).map((member) => ({ span: this.fields.get(member)!.field.span, message: `${quote(member)} is declared here` })),
        help:
          defaulted.length > 0
            ? `${listOf(defaulted.map((member) => `${quote(member)} defaults to ${FIELDS[member].defaultText}`))}; write one of these fields as a number`
            : "write one of these fields as a number",
      },
    );
    this.report(diagnostic);
    for (const member of cycle) this.values.set(member, { value: undefined });
  }
}
