#!/usr/bin/env node
import { ExitCode } from "./exit-codes.js";
import { processIo } from "./io.js";
import { main, reportInternalError } from "./program.js";

// Errors that escape every promise chain (a throw in a callback) are bugs too, and get the same
// one-line report as those `main` catches.
const crash = (e: unknown) => {
  reportInternalError(processIo, e);
  process.exit(ExitCode.Internal);
};
process.on("uncaughtException", crash);
process.on("unhandledRejection", crash);

// `tfc explain big.tfx | head` closes the pipe early; that is the reader's choice, not an error.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(process.exitCode ?? ExitCode.Success);
  crash(e);
});

process.exitCode = await main(process.argv.slice(2));
