// The main job on the bundled examples: compile each full-size example, then run it once in ONNX Runtime.
// (The tiny-* examples are test fixtures; llama-7b.tfx is a spec for plan-only use and is not emitted.)
import { execFileSync } from "node:child_process";

const cli = "dist/cli/main.js";
const examples = ["bert-base", "gpt2-small", "llama-style"];
for (const name of examples) {
  const onnx = `out/${name}.onnx`;
  execFileSync(process.execPath, [cli, "compile", `examples/${name}.tfx`, "-o", onnx, "--plan", `out/${name}.plan.json`], { stdio: "inherit" });
  execFileSync(process.execPath, [cli, "run", onnx, "--seq", "128", "--runs", "3"], { stdio: "inherit" });
}
execFileSync(process.execPath, [cli, "compile", "examples/llama-7b.tfx", "--plan-only", "--quiet"], { stdio: "inherit" });
console.log("\nexamples/llama-7b.tfx: planned without allocating its weights: out/llama_7b.plan.json");
