import { describe, expect, test } from "vitest";
import { checkSource } from "./testing.js";

const fields = { kind: "decoder", vocab: "100", context: "16", width: "32", layers: "2", heads: "4" };

function modelWith(overrides: Record<string, string>): string {
  const all: Record<string, string> = { ...fields, ...overrides };
  return `model m {\n${Object.entries(all).map(([name, value]) => `  ${name} ${value}\n`).join("")}}\n`;
}

describe("size limits, before anything is allocated", () => {
  test.each([
    ["vocab", "10000001", "`vocab` is 10,000,001, above the limit of 10,000,000"],
    ["context", "1048577", "`context` is 1,048,577, above the limit of 1,048,576"],
    ["width", "65540", "`width` is 65,540, above the limit of 65,536"],
    ["layers", "1025", "`layers` is 1,025, above the limit of 1,024"],
    ["heads", "2048", "`heads` is 2,048, above the limit of 1,024"],
    ["ffn", "1048577", "the `ffn` size is 1,048,577, above the limit of 1,048,576"],
    ["token_types", "10001", "`token_types` is 10,001, above the limit of 10,000"],
  ])("%s above its limit", (name, value, message) => {
    const checked = checkSource(modelWith({ [name]: value }));
    expect(checked.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([`E0401 ${message}`]);
    expect(checked.diagnostics[0].help).toMatch(/before allocating anything/);
  });

  test("a size written as an expression is checked by value", () => {
    const checked = checkSource(modelWith({ vocab: "1000 * 1000 * 1000" }));
    expect(checked.brief).toEqual(["E0401 3:9 `vocab` is 1,000,000,000, above the limit of 10,000,000"]);
  });

  test("every field within its limit, the total above 10^12 parameters", () => {
    const checked = checkSource(modelWith({ vocab: "32000", width: "65536", layers: "1024", heads: "1024", ffn: "262144" }));
    expect(checked.brief).toEqual([
      "E0401 1:7 model `m` has 52,779,528,880,128 parameters, above the limit of 1,000,000,000,000",
    ]);
    expect(checked.spec).toBeUndefined();
  });
});
