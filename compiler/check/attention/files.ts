import { Codes, error } from "../../../grammar/diagnostics.js";
import type { Span } from "../../../grammar/span.js";
import { readLayoutFile, type LayoutFile, type LayoutFileResult } from "../../attention/layout-file.js";
import { ATTENTION_LIMITS } from "../../attention/limits.js";
import { quote } from "../format.js";
import type { Report } from "../report.js";

/**
 * Reads a file a spec names (`layout "FILE.json"`): `path` as written, relative to `fromFile`. Must
 * refuse a file larger than `maxBytes` before reading it.
 */
export type LoadFile = (
  path: string,
  fromFile: string,
  maxBytes: number,
) => { readonly text: string } | { readonly error: string; readonly tooLarge?: boolean };

/** Problems of one file beyond this many are summed up in one more diagnostic. */
const SHOWN_PROBLEMS = 5;

/** Layout files of one check() run: each read and checked once, its problems reported at every string that names it. */
export class LayoutFiles {
  private readonly cache = new Map<string, LayoutFileResult | { readonly error: string; readonly tooLarge?: boolean }>();

  constructor(private readonly loadFile: LoadFile | undefined) {}

  read(path: string, span: Span, report: Report): LayoutFile | undefined {
    const shown = quote(JSON.stringify(path));
    if (!this.loadFile) {
      report(
        error(Codes.FileNotFound, `cannot read the layout file ${shown}: no file loader was given`, span, {
          label: "not loaded",
          help: "pass `loadFile` to check() to read layout files (the tfc command does)",
        }),
      );
      return undefined;
    }
    const key = `${span.file}\0${path}`;
    let result = this.cache.get(key);
    if (!result) {
      let loaded: ReturnType<LoadFile>;
      try {
        loaded = this.loadFile(path, span.file, ATTENTION_LIMITS.fileBytes);
      } catch (thrown) {
        loaded = { error: thrown instanceof Error ? thrown.message : String(thrown) };
      }
      result = "error" in loaded ? loaded : readLayoutFile(loaded.text);
      this.cache.set(key, result);
    }
    if ("error" in result) {
      report(
        error(result.tooLarge ? Codes.FileTooLarge : Codes.FileNotFound, `cannot read the layout file ${shown}`, span, {
          label: result.error,
          help: result.tooLarge
            ? `layout files are limited to ${ATTENTION_LIMITS.fileBytes / 2 ** 20} MiB`
            : "layout paths are relative to the spec file that names them",
        }),
      );
      return undefined;
    }
    if ("problems" in result) {
      const problems = result.problems;
      for (const problem of problems.slice(0, SHOWN_PROBLEMS)) {
        report(
          error(Codes.InvalidLayoutFile, `layout file ${shown}: ${problem.path ? `${problem.path}: ` : ""}${problem.message}`, span, {
            label: "invalid layout file",
            help: "the format is described in docs/attention.md (\"The layout file\")",
          }),
        );
      }
      if (problems.length > SHOWN_PROBLEMS) {
        report(
          error(Codes.InvalidLayoutFile, `layout file ${shown}: ${problems.length - SHOWN_PROBLEMS} more problems`, span, {
            label: "invalid layout file",
          }),
        );
      }
      return undefined;
    }
    return result.file;
  }
}
