import { InvalidArgumentError, type Command } from "commander";
import { existsSync } from "node:fs";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { writeFileAtomic } from "../atomic-write.js";
import { examples, type CommandContext } from "../context.js";
import { ExitCode } from "../exit-codes.js";
import { withSeparators } from "../format.js";
import { internalFailure } from "../front-end.js";
import { reportCannotWrite, reportError } from "../io.js";

interface ImportCommandOptions {
  readonly output?: string;
  readonly name?: string;
  /** A path, or false for `--no-weights`; undefined looks for model.safetensors beside the config. */
  readonly weights?: string | false;
  readonly quiet?: boolean;
}

/** Config files are small JSON; anything larger is refused before reading. */
const MAX_CONFIG_BYTES = 1 << 20;
/** What Hugging Face's `save_pretrained` names a single-file checkpoint. */
const DEFAULT_CHECKPOINT = "model.safetensors";
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** The language's keywords (grammar/tokens.ts), which cannot name a model. */
const KEYWORDS = new Set(["model", "extends", "let", "import", "attention", "optimize", "target", "default"]);

export function registerImport(program: Command, context: CommandContext): void {
  program
    .command("import")
    .summary("write the .tfx spec of a Hugging Face config.json (bert, gpt2, llama)")
    .description(
      "Read a Hugging Face config.json and write the .tfx spec that computes the same model, with its checkpoint as " +
        '`weights "FILE" layout hf-…` (model.safetensors beside the config when it exists, or --weights). The spec is ' +
        "checked before it is written, against the checkpoint's tensors too.",
    )
    .argument("<config>", "the config.json")
    .option("-o, --output <file.tfx>", "where to write the spec (default: <name>.tfx beside the config)")
    .option("--name <name>", "the model's name in the spec (default: the config's folder name)", parseName)
    .option("--weights <file.safetensors>", "the checkpoint the spec reads (default: model.safetensors beside the config, if present)")
    .option("--no-weights", "write `weights random seed 0` even when a checkpoint is present")
    .option("-q, --quiet", "print nothing on success")
    .addHelpText(
      "after",
      examples([
        "tfc import models/gpt2/config.json",
        "tfc import config.json --weights model.safetensors -o gpt2.tfx",
        "tfc import llama/config.json --name tiny_llama --no-weights",
      ]),
    )
    .action(async (config: string, options: ImportCommandOptions) => context.exit(await importConfig(config, options, context)));
}

function parseName(value: string): string {
  if (!IDENTIFIER.test(value)) throw new InvalidArgumentError("A model name is a letter or _ followed by letters, digits or _.");
  if (KEYWORDS.has(value)) throw new InvalidArgumentError(`\`${value}\` is a keyword of the language.`);
  return value;
}

async function importConfig(configPath: string, options: ImportCommandOptions, { io }: CommandContext): Promise<ExitCode> {
  const [{ readText, checkSource }, { importHfConfig }, { renderDiagnostics }, { countParameters }] = await Promise.all([
    import("../../compiler/pipeline.js"),
    import("../../compiler/weights/hf-config.js"),
    import("../../grammar/render.js"),
    import("../../compiler/check/index.js"),
  ]);
  const read = readText(configPath, MAX_CONFIG_BYTES, "config files");
  if ("problem" in read) {
    reportError(io, read.problem, "give the path of a Hugging Face config.json");
    return ExitCode.UserError;
  }
  const name = options.name ?? nameFromPath(configPath);
  const output = options.output ?? join(dirname(configPath), `${name}.tfx`);
  const checkpoint = checkpointPath(configPath, options.weights);
  if (checkpoint === null) {
    reportError(io, `the checkpoint ${options.weights} does not exist`, "give --weights the path of a .safetensors file, or --no-weights");
    return ExitCode.UserError;
  }
  // The spec names its checkpoint relative to itself, so the two can move together.
  const weights = checkpoint && relative(dirname(resolve(output)), resolve(checkpoint)).split(sep).join("/");

  const imported = importHfConfig(read.text, configPath, { name, weights });
  if (!imported.ok) {
    const sources = new Map([[configPath, read.text]]);
    io.err(`${renderDiagnostics(imported.diagnostics, sources, { color: io.color === true })}\n`);
    const n = imported.diagnostics.length;
    io.err(`\nerror: could not import \`${configPath}\` due to ${n} previous ${n === 1 ? "error" : "errors"}\n`);
    return ExitCode.UserError;
  }

  // Checked as the file it will be, so the checkpoint path resolves as it will when compiled.
  const checked = checkSource(imported.tfx, output);
  const errors = checked.diagnostics.filter((d) => d.severity === "error");
  if (errors.some((d) => d.code === "E0901")) throw internalFailure(errors.find((d) => d.code === "E0901")!, output);
  if (errors.length > 0 || !checked.spec) {
    io.err(`${renderDiagnostics(checked.diagnostics, checked.sources, { color: io.color === true })}\n`);
    io.err(`\nerror: the spec imported from \`${configPath}\` does not check; nothing was written\n`);
    return ExitCode.UserError;
  }
  try {
    writeFileAtomic(output, imported.tfx);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === "string") {
      reportCannotWrite(io, output, e as NodeJS.ErrnoException);
      return ExitCode.UserError;
    }
    throw e;
  }
  if (!options.quiet) {
    const spec = checked.spec;
    const source = weights ? `weights from ${checkpoint} (layout ${imported.model.layout})` : "random weights";
    io.out(`wrote ${output}: model ${spec.name} (${imported.model.architecture}, ${withSeparators(countParameters(spec).total)} parameters), ${source}\n`);
    if (imported.defaulted.length > 0) io.out(`  not in the config, Hugging Face's defaults: ${imported.defaulted.join(", ")}\n`);
  }
  return ExitCode.Success;
}

/** `--weights`, else model.safetensors beside the config when present; undefined for none, null for a missing --weights file. */
function checkpointPath(configPath: string, weights: string | false | undefined): string | undefined | null {
  if (weights === false) return undefined;
  if (weights !== undefined) return existsSync(weights) ? weights : null;
  const beside = join(dirname(configPath), DEFAULT_CHECKPOINT);
  return existsSync(beside) ? beside : undefined;
}

/** models/gpt2-small/config.json → gpt2_small; a name that is not an identifier gets one. */
function nameFromPath(configPath: string): string {
  const folder = basename(dirname(resolve(configPath)));
  const cleaned = folder.replace(/[^A-Za-z0-9_]/g, "_");
  if (cleaned === "" || cleaned === "_") return "imported";
  if (KEYWORDS.has(cleaned)) return `${cleaned}_model`;
  return /^[0-9]/.test(cleaned) ? `m_${cleaned}` : cleaned;
}
