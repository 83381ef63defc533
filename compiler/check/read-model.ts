import { DIRECTIVE_NAMES, type Field, type ModelDeclaration, type OptimizeBlock, type TargetBlock } from "../../grammar/ast.js";
import { Codes, error } from "../../grammar/diagnostics.js";
import { FIELD_NAMES, FIELDS, isFieldName, type FieldName } from "./fields.js";
import { quote } from "./format.js";
import { readField, type ReadContext, type ReadField } from "./read.js";
import type { Report } from "./report.js";
import { didYouMean } from "./suggest.js";
import { TARGET_FIELD_NAMES, TARGET_FIELDS, TARGET_NAMES, isTargetFieldName, type TargetFieldName } from "./target.js";
import { readAttentionBlock, type ReadAttention } from "./attention/read.js";

/** A field as written in one model declaration. */
export interface DeclaredField {
  readonly field: Field;
  readonly read: ReadField;
  readonly owner: ModelDeclaration;
}

/** What one model declaration writes, read without regard to `extends` (so each problem is reported once). */
export interface ModelMembers {
  readonly model: ModelDeclaration;
  readonly fields: ReadonlyMap<FieldName, DeclaredField>;
  readonly target?: {
    readonly block: TargetBlock;
    readonly fields: ReadonlyMap<TargetFieldName, DeclaredField>;
  };
  /** The `attention` block, read; a child's replaces its parent's whole. */
  readonly attention?: ReadAttention;
  /** The `optimize` block, checked against the model in resolve-model (compiler/check/optimize); a child's replaces its parent's whole. */
  readonly optimize?: OptimizeBlock;
}

/**
 * Reads the members of a model: each field against its grammar, duplicates, unknown field names,
 * the attention block's syntax, and the blocks that are not supported yet.
 */
export function readModelMembers(model: ModelDeclaration, referenceNames: ReadonlySet<string>, report: Report): ModelMembers {
  const modelContext: ReadContext = { fieldNames: FIELD_NAMES, referenceNames, report, elsewhere: belongsOutsideModel };
  const targetContext: ReadContext = { fieldNames: TARGET_FIELD_NAMES, referenceNames, report, elsewhere: belongsOutsideTarget };
  const fields = new Map<FieldName, DeclaredField>();
  let target: ModelMembers["target"];
  let attention: ReadAttention | undefined;
  let optimize: OptimizeBlock | undefined;

  for (const member of model.members) {
    switch (member.kind) {
      case "Field": {
        const name = member.name.name;
        if (!isFieldName(name)) {
          reportUnknownModelField(member, report);
          break;
        }
        const read = readField(member, FIELDS[name], modelContext);
        const first = fields.get(name);
        if (first) reportDuplicate(name, member, first.field, model, report);
        else fields.set(name, { field: member, read, owner: model });
        break;
      }
      case "AttentionBlock": {
        const read = readAttentionBlock(member, referenceNames, report);
        if (attention) {
          report(
            error(Codes.DuplicateField, `\`attention\` is given twice in ${quote(model.name.name)}`, member.keyword.span, {
              label: "second attention block",
              labels: [{ span: attention.block.keyword.span, message: "first attention block" }],
              help: "put every rule in one `attention { … }` block; later rules override earlier ones",
            }),
          );
        } else {
          attention = read;
        }
        break;
      }
      case "OptimizeBlock":
        if (optimize) {
          report(
            error(Codes.DuplicateField, `\`optimize\` is given twice in ${quote(model.name.name)}`, member.keyword.span, {
              label: "second optimize block",
              labels: [{ span: optimize.keyword.span, message: "first optimize block" }],
              help: "put every directive in one `optimize { … }` block; they run in the order written",
            }),
          );
        } else {
          optimize = member;
        }
        break;
      case "TargetBlock": {
        const targetFields = readTarget(member, model, targetContext, report);
        if (target) {
          report(
            error(Codes.DuplicateField, `\`target\` is given twice in ${quote(model.name.name)}`, member.keyword.span, {
              label: "second target",
              labels: [{ span: target.block.keyword.span, message: "first target" }],
              help: "put all target settings in one `target onnx { … }` block",
            }),
          );
        } else {
          target = { block: member, fields: targetFields };
        }
        break;
      }
    }
  }
  return { model, fields, target, attention, optimize };
}

function readTarget(
  block: TargetBlock,
  model: ModelDeclaration,
  context: ReadContext,
  report: Report,
): Map<TargetFieldName, DeclaredField> {
  const name = block.name.name;
  if (!(TARGET_NAMES as readonly string[]).includes(name)) {
    const suggestion = didYouMean(name, TARGET_NAMES);
    report(
      suggestion
        ? error(Codes.UnknownKeyword, `unknown target ${quote(name)}`, block.name.span, {
            label: "not a target",
            help: `did you mean ${quote(suggestion)}?`,
            fix: { span: block.name.span, replacement: suggestion },
          })
        : error(Codes.NotSupportedYet, `target ${quote(name)} is not supported yet`, block.name.span, {
            label: "not supported yet",
            help: "tfc emits ONNX today (`target onnx { … }`), which ONNX Runtime runs on CPU and CUDA; other targets are planned",
          }),
    );
  }
  const fields = new Map<TargetFieldName, DeclaredField>();
  for (const field of block.fields) {
    const fieldName = field.name.name;
    if (!isTargetFieldName(fieldName)) {
      const suggestion = didYouMean(fieldName, TARGET_FIELD_NAMES);
      report(
        error(Codes.UnknownField, `unknown target field ${quote(fieldName)}`, field.name.span, {
          label: "not a target field",
          help: suggestion
            ? `did you mean ${quote(suggestion)}?`
            : (belongsOutsideTarget(fieldName) ?? `a target block holds ${TARGET_FIELD_NAMES.map(quote).join(", ")}`),
          fix: suggestion ? { span: field.name.span, replacement: suggestion } : undefined,
        }),
      );
      continue;
    }
    const schema = TARGET_FIELDS[fieldName];
    if (schema.planned) {
      report(error(Codes.NotSupportedYet, schema.planned.message, field.span, { label: "not supported yet", help: schema.planned.help }));
      continue;
    }
    const read = readField(field, schema, context);
    const first = fields.get(fieldName);
    if (first) reportDuplicate(fieldName, field, first.field, model, report);
    else fields.set(fieldName, { field, read, owner: model });
  }
  return fields;
}

function reportDuplicate(name: string, again: Field, first: Field, model: ModelDeclaration, report: Report): void {
  report(
    error(Codes.DuplicateField, `${quote(name)} is set twice in ${quote(model.name.name)}`, again.span, {
      label: "set again",
      labels: [{ span: first.span, message: "first set here" }],
      help: "remove one of them (a model that `extends` another may set a field again, but one model sets it once)",
    }),
  );
}

/** Help for a target setting or an optimization written among model fields. */
function belongsOutsideModel(name: string): string | undefined {
  if (isTargetFieldName(name)) return `${quote(name)} belongs in a target block: \`target onnx { ${name} … }\``;
  if ((DIRECTIVE_NAMES as readonly string[]).includes(name)) return `${quote(name)} belongs in an \`optimize { … }\` block`;
  return undefined;
}

function belongsOutsideTarget(name: string): string | undefined {
  return isFieldName(name) ? `${quote(name)} is a model field: write it in the model, outside the target block` : undefined;
}

function reportUnknownModelField(field: Field, report: Report): void {
  const name = field.name.name;
  const suggestion = didYouMean(name, FIELD_NAMES);
  const help = suggestion
    ? `did you mean ${quote(suggestion)}?`
    : (belongsOutsideModel(name) ?? `model fields are ${FIELD_NAMES.join(", ")}`);
  report(
    error(Codes.UnknownField, `unknown field ${quote(name)}`, field.name.span, {
      label: "not a field",
      help,
      fix: suggestion ? { span: field.name.span, replacement: suggestion } : undefined,
    }),
  );
}
