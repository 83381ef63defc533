// Run an ONNX model with onnxruntime-node and write outputs in run_reference.py's JSON format, so the
// two can be compared directly (python3-onnx has no runtime of its own here).
//
//   node test/reference/run_ort.mjs model.onnx in.json out.json
//
// in.json: {"input_ids": [[...]], "token_type_ids"?: [[...]]}; only inputs the model declares are fed.
import { readFileSync, writeFileSync } from "node:fs";
import ort from "onnxruntime-node";

const [modelPath, inPath, outPath] = process.argv.slice(2);
if (!modelPath || !inPath || !outPath) {
  console.error("usage: node run_ort.mjs model.onnx in.json out.json");
  process.exit(2);
}
const inputs = JSON.parse(readFileSync(inPath, "utf8"));
const session = await ort.InferenceSession.create(modelPath);
const feeds = {};
for (const name of session.inputNames) {
  const rows = inputs[name];
  if (!rows) throw new Error(`inputs JSON has no '${name}'`);
  const flat = rows.flat().map((v) => BigInt(v));
  feeds[name] = new ort.Tensor("int64", BigInt64Array.from(flat), [rows.length, rows[0].length]);
}
const results = await session.run(feeds);
const outputs = {};
for (const name of session.outputNames) {
  const t = results[name];
  outputs[name] = { shape: t.dims.map(Number), data: Array.from(t.data, Number) };
}
writeFileSync(outPath, JSON.stringify({ outputs }));
