// tsc does not copy non-TS files; the ONNX schema is read at run time from beside the emitter.
import { copyFileSync, mkdirSync } from "node:fs";
mkdirSync("dist/compiler/onnx", { recursive: true });
copyFileSync("compiler/onnx/onnx.proto", "dist/compiler/onnx/onnx.proto");
