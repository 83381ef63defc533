import { InvalidArgumentError, Option, type Command } from "commander";
import { extname } from "node:path";
import type { LayerLayout } from "../../compiler/attention/layout.js";
import type { ModelSpec } from "../../compiler/spec.js";
import { writeFileAtomic } from "../atomic-write.js";
import { examples, type CommandContext } from "../context.js";
import { ExitCode } from "../exit-codes.js";
import { fileSize } from "../format.js";
import { loadSpec } from "../front-end.js";
import { reportCannotWrite, reportError, type Io } from "../io.js";
import { integerIn, nonNegativeInteger } from "../options.js";

interface LayoutOptions {
  readonly layer?: number;
  readonly head?: number;
  readonly model?: string;
  readonly output: string;
  readonly cell?: number;
  readonly quiet?: boolean;
}

type OutputKind = "png" | "svg" | "json";

/** Pictures of layers with more blocks than this are refused before anything is drawn. */
const MAX_DRAWN_BLOCKS = 4096;

export function registerLayout(program: Command, context: CommandContext): void {
  program
    .command("layout")
    .summary("draw a layer's attention block layout (PNG or SVG), or export layouts as JSON")
    .description(
      "Check FILE and draw the block layout of one layer: query blocks down, key blocks across, a dark cell where a query " +
        "block attends to a key block (in a decoder the diagonal blocks are causal inside, drawn half filled). Without --head, " +
        "every head of the layer is drawn in a grid. With -o FILE.json, writes the layer (or, without --layer, every sparse " +
        "layer) as a tfc-attention-layout file that `layout \"FILE.json\"` reads back.",
    )
    .argument("<file>", "the .tfx spec")
    .option("--layer <n>", "the layer to draw (0-based)", nonNegativeInteger)
    .option("--head <n>", "draw only this head (default: every head of the layer)", nonNegativeInteger)
    .option("--model <name>", "the model to draw, when FILE declares several")
    .addOption(new Option("-o, --output <file>", "where to write: a .png, .svg or .json file").argParser(parseOutput).makeOptionMandatory())
    .option("--cell <px>", "pixels per block (default: panels of about 512 px for one head, 200 px in a grid)", integerIn(1, 64))
    .option("-q, --quiet", "print nothing on success")
    .addHelpText(
      "after",
      examples([
        "tfc layout examples/bigbird-long.tfx --layer 0 -o bigbird-layer0.png",
        "tfc layout examples/sparse-gpt.tfx --layer 6 --head 0 -o strided.svg",
        "tfc layout examples/sparse-gpt.tfx --layer 6 --cell 2 -o layer6.png",
        "tfc layout examples/sparse-gpt.tfx -o sparse-gpt.layout.json",
      ]),
    )
    .action(async (file: string, options: LayoutOptions) => context.exit(await layout(file, options, context)));
}

function outputKind(path: string): OutputKind | undefined {
  const ext = extname(path).toLowerCase();
  return ext === ".png" ? "png" : ext === ".svg" ? "svg" : ext === ".json" ? "json" : undefined;
}

function parseOutput(value: string): string {
  if (!outputKind(value)) throw new InvalidArgumentError("Write a .png, .svg or .json file.");
  return value;
}

async function layout(file: string, options: LayoutOptions, { io }: CommandContext): Promise<ExitCode> {
  const kind = outputKind(options.output)!;
  if (kind !== "json" && options.layer === undefined) {
    reportError(io, "--layer is required to draw a picture", "name the layer to draw, such as `--layer 0`; only a .json export covers every layer");
    return ExitCode.Usage;
  }
  if (kind === "json" && options.head !== undefined) {
    reportError(io, "--head applies to pictures only", "a layout file holds every head of the layers it lists");
    return ExitCode.Usage;
  }
  const loaded = await loadSpec(file, options.model, io);
  if ("exitCode" in loaded) return loaded.exitCode;
  const { spec } = loaded;
  const count = (n: number, noun: string) => `${n} ${n === 1 ? noun : `${noun}s`}`;
  if (options.layer !== undefined && options.layer >= spec.layers) {
    reportError(io, `layer ${options.layer} does not exist: \`${spec.name}\` has ${count(spec.layers, "layer")}`, `layers are numbered 0 to ${spec.layers - 1}`);
    return ExitCode.Usage;
  }
  if (options.head !== undefined && options.head >= spec.heads) {
    reportError(io, `head ${options.head} does not exist: \`${spec.name}\` has ${count(spec.heads, "head")}`, `heads are numbered 0 to ${spec.heads - 1}`);
    return ExitCode.Usage;
  }
  return kind === "json" ? exportJson(spec, options, io) : draw(spec, kind, options, io);
}

async function exportJson(spec: ModelSpec, options: LayoutOptions, io: Io): Promise<ExitCode> {
  const { layoutFileData, writeLayoutFile } = await import("../../compiler/attention/index.js");
  const layers = spec.attention?.layers ?? [];
  if (options.layer === undefined && !layers.some((layer) => layer)) {
    reportError(io, `\`${spec.name}\` has dense attention in every layer: there is no block layout to write`, "add an `attention { … }` block to the spec");
    return ExitCode.UserError;
  }
  const data = layoutFileData(layers, {
    context: spec.context,
    layers: options.layer === undefined ? undefined : [options.layer],
    source: `tfc layout: model ${spec.name}`,
  });
  if ("problem" in data) {
    reportError(io, `cannot write a layout file for \`${spec.name}\`: ${data.problem}`, options.layer === undefined ? "export one layer at a time with --layer" : undefined);
    return ExitCode.UserError;
  }
  const text = writeLayoutFile(data);
  if (!write(options.output, text, io)) return ExitCode.UserError;
  if (!options.quiet) {
    const which = data.layers.map((layer) => layer.layer);
    io.out(`wrote ${options.output} (${fileSize(Buffer.byteLength(text))}): ${spec.name}, ${which.length === 1 ? `layer ${which[0]}` : `${which.length} layers`}, block ${data.blockSize}\n`);
  }
  return ExitCode.Success;
}

async function draw(spec: ModelSpec, kind: "png" | "svg", options: LayoutOptions, io: Io): Promise<ExitCode> {
  const [attention, picture] = await Promise.all([import("../../compiler/attention/index.js"), import("../../compiler/attention/picture/index.js")]);
  const layer = options.layer!;
  let layout: LayerLayout | undefined = spec.attention?.layers[layer];
  if (!layout) {
    // A dense layer has no layout in the spec; draw what it computes, with the default block size.
    const blockSize = attention.defaultBlockSize(spec.context, []);
    if (spec.context / blockSize > MAX_DRAWN_BLOCKS) return tooManyBlocks(spec, layer, spec.context / blockSize, blockSize, io);
    layout = attention.denseLayerLayout(spec.context, spec.heads, spec.kind === "decoder", blockSize);
  }
  if (layout.blocks > MAX_DRAWN_BLOCKS) return tooManyBlocks(spec, layer, layout.blocks, layout.blockSize, io);
  const heads = options.head === undefined ? undefined : [options.head];
  const title = `${spec.name} · layer ${layer}${options.head === undefined ? "" : ` · head ${options.head}`}`;
  const scene = picture.pictureOf(layout, { heads, title, cell: options.cell });
  let data: string | Buffer;
  try {
    data = kind === "png" ? picture.renderPng(scene) : picture.renderSvg(scene);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    reportError(io, `cannot draw layer ${layer} of \`${spec.name}\`: ${e.message}`, options.head === undefined ? "draw one head with --head, or use a smaller --cell" : "use a smaller --cell, or write a PNG");
    return ExitCode.UserError;
  }
  if (!write(options.output, data, io)) return ExitCode.UserError;
  if (!options.quiet) {
    const size = typeof data === "string" ? Buffer.byteLength(data) : data.length;
    io.out(
      `wrote ${options.output} (${scene.width} × ${scene.height} px, ${fileSize(size)}): ${spec.name} layer ${layer}, ` +
        `${layout.blocks} × ${layout.blocks} blocks of ${layout.blockSize} tokens\n`,
    );
    const lines = attention.describeLayer(layout);
    for (const head of heads ?? lines.map((_, index) => index)) io.out(`  ${lines[head]}\n`);
  }
  return ExitCode.Success;
}

function tooManyBlocks(spec: ModelSpec, layer: number, blocks: number, blockSize: number, io: Io): ExitCode {
  reportError(
    io,
    `layer ${layer} of \`${spec.name}\` has ${blocks} blocks of ${blockSize} tokens; pictures are limited to ${MAX_DRAWN_BLOCKS} blocks per side`,
    "export it with -o FILE.json instead, or draw a model with larger blocks",
  );
  return ExitCode.UserError;
}

/** Writes atomically; reports a file-system failure and returns false. */
function write(path: string, data: string | Uint8Array, io: Io): boolean {
  try {
    writeFileAtomic(path, data);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code !== "string") throw e;
    reportCannotWrite(io, path, e as NodeJS.ErrnoException);
    return false;
  }
}
