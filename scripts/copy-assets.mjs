// tsc does not copy non-TS files; the ONNX schema is read at run time from beside the emitter.
import { copyFileSync, mkdirSync } from "node:fs";
mkdirSync("dist/compiler/onnx", { recursive: true });
copyFileSync("compiler/onnx/onnx.proto", "dist/compiler/onnx/onnx.proto");
// tsc writes the bin without the execute bit; npm sets it on install, a plain build does not.
import { chmodSync } from "node:fs";
chmodSync("dist/cli/main.js", 0o755);
