import { Codes, error } from "../../grammar/diagnostics.js";
import type { Device, TargetSpec } from "../spec.js";
import type { BuildEnv } from "./fields.js";
import type { FieldGrammar, Planned, ReadField, Slot } from "./read.js";

/**
 * The fields of a `target onnx { … }` block, in the same table form as the model fields.
 * Only ONNX is emitted today; opsets 17 (the first with LayerNormalization) to 21 (ONNX Runtime 1.30 runs them all).
 */

export interface TargetValues {
  readonly opset: number;
  readonly device: readonly Device[];
  readonly precision: TargetSpec["precision"];
}

export type TargetFieldName = keyof TargetValues | "threads";

export interface TargetFieldSchema extends FieldGrammar {
  readonly name: TargetFieldName;
  /** Written in the language but not compiled yet: the whole field is E0501. */
  readonly planned?: Planned;
  readonly build?: (read: ReadField, env: BuildEnv) => TargetValues[keyof TargetValues] | undefined;
}

export const TARGET_NAMES = ["onnx"] as const;
export const OPSET_RANGE = { min: 17, max: 21 } as const;
export const DEFAULT_TARGET: TargetSpec = { opset: 17, devices: ["cpu"], precision: "fp32" };

const LOWER_PRECISION: Planned = {
  message: "",
  help: "only fp32 is supported today; fp16, bf16 and int8 come with the quantize pass, which is planned",
};

export const TARGET_FIELDS: Readonly<Record<TargetFieldName, TargetFieldSchema>> = {
  opset: {
    name: "opset",
    syntax: `opset ${OPSET_RANGE.min}..${OPSET_RANGE.max}`,
    grammar: { kind: "set", parts: [{ kind: "number", key: "opset", what: "an opset version" }], required: ["opset"] },
    build: (read, env) => {
      const opset = env.number(read, "opset", { what: "`opset`", integer: true, sign: "positive" });
      if (opset === undefined) return undefined;
      if (opset < OPSET_RANGE.min || opset > OPSET_RANGE.max) {
        env.report(
          error(Codes.BadValue, `opset ${opset} is not supported`, read.slots.get("opset")!.span, {
            label: opset < OPSET_RANGE.min ? "too old" : "too new",
            help: `tfc emits ONNX opsets ${OPSET_RANGE.min} to ${OPSET_RANGE.max}; ${OPSET_RANGE.min} (the default) is the one the ONNX checker of python3-onnx 1.12 validates`,
          }),
        );
        return undefined;
      }
      return opset;
    },
  },
  device: {
    name: "device",
    syntax: "device cuda, cpu",
    grammar: {
      kind: "set",
      parts: [
        {
          kind: "words",
          key: "device",
          what: "device",
          words: ["cpu", "cuda"],
          planned: Object.fromEntries(
            ["rocm", "directml", "coreml", "tensorrt", "openvino", "webgpu"].map((device) => [
              device,
              {
                message: `device \`${device}\` is not supported yet`,
                help: "supported today: cpu and cuda (ONNX Runtime's CUDA execution provider); other execution providers are planned",
              },
            ]),
          ),
        },
      ],
      required: ["device"],
    },
    build: (read) => {
      const slot: Slot | undefined = read.slots.get("device");
      return slot?.kind === "words" ? slot.items.map((item) => item.word as Device) : undefined;
    },
  },
  precision: {
    name: "precision",
    syntax: "precision fp32",
    grammar: {
      kind: "set",
      parts: [
        {
          kind: "word",
          key: "precision",
          what: "precision",
          words: ["fp32"],
          planned: Object.fromEntries(
            ["fp16", "bf16", "int8", "int4"].map((precision) => [
              precision,
              { ...LOWER_PRECISION, message: `precision \`${precision}\` is not supported yet` },
            ]),
          ),
        },
      ],
      required: ["precision"],
    },
    build: () => "fp32",
  },
  threads: {
    name: "threads",
    syntax: "threads N",
    grammar: { kind: "set", parts: [{ kind: "number", key: "threads", what: "a number" }] },
    planned: {
      message: "`threads` in a target is not supported yet",
      help: "tfc uses ONNX Runtime's default thread settings today; choosing threads in the target is planned",
    },
  },
};

export const TARGET_FIELD_NAMES = Object.keys(TARGET_FIELDS) as TargetFieldName[];

export function isTargetFieldName(name: string): name is TargetFieldName {
  return Object.prototype.hasOwnProperty.call(TARGET_FIELDS, name);
}
