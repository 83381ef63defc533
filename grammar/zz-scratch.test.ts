import { test } from "vitest";
import { readFileSync } from "node:fs";
import { lex } from "./lexer.js";
import { tfxParser } from "./parser.js";
import { AstBuilder } from "./build-ast.js";
import { LineIndex } from "./source-text.js";
import * as T from "./tokens.js";
test("perf", () => {
  const ex = readFileSync("test/fixtures/grammar/examples.tfx", "utf8");
  const text = ex + "\n" + ex;
  const src = new LineIndex(text, "t");
  const toks = lex(src).tokens;
  const chunks: any[] = []; let cur: any[] = [];
  for (const t of toks) { if ((t.tokenType === T.Model || t.tokenType === T.Let) && cur.length) { chunks.push(cur); cur = []; } cur.push(t); }
  chunks.push(cur);
  const run = () => { const out = []; for (const c of chunks) { tfxParser.input = c.slice(); out.push(c[0].tokenType === T.Model ? tfxParser.modelDecl() : tfxParser.letDecl()); } return out; };
  for (let i = 0; i < 200; i++) run();
  let t = performance.now(); let csts: any; for (let i = 0; i < 200; i++) csts = run(); console.log("parser ms", (performance.now() - t) / 200);
  const b = new AstBuilder(src, []);
  t = performance.now(); for (let i = 0; i < 200; i++) for (const c of csts) c.name === "modelDecl" ? b.model(c) : b.letDeclaration(c); console.log("build ms", (performance.now() - t) / 200);
});
