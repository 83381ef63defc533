import { describe, expect, test } from "vitest";
import { checkSource, textAt } from "../testing.js";

const BASE = "kind decoder vocab 100 context 64 width 32 layers 4 heads 4 kv_heads 2 ffn 64 gelu output lm";
const source = (directives: string) => `model m {\n  ${BASE}\n  optimize {\n    ${directives}\n  }\n}\n`;

describe("optimize directives: source in, directives or diagnostics out", () => {
  test("every share and prune form reads, in the order written", () => {
    const checked = checkSource(
      source("share embeddings tied\n    share embeddings factorized 16\n    prune layers [3]\n    prune weights 80% magnitude global"),
    );
    expect(checked.brief).toEqual([]);
    expect(checked.spec?.optimize?.map(({ span: _s, ...d }) => d)).toEqual([
      { kind: "share", part: "embeddings", mode: "tied" },
      { kind: "share", part: "embeddings", mode: "factorized", size: 16 },
      { kind: "prune", part: "layers", layers: [3] },
      { kind: "prune", part: "weights", fraction: 0.8, scope: "global" },
    ]);
    const heads = checkSource(source("prune heads layers 3 [0, 2] layers 0..1 [1, 3]")).spec?.optimize?.[0];
    expect(heads && "explicit" in heads ? [...heads.explicit] : undefined).toEqual([[0, [1, 3]], [1, [1, 3]], [3, [0, 2]]]);
    expect(checkSource(source("share layers all")).spec?.optimize?.[0]).toMatchObject({ part: "layers", groupSize: 4, all: true });
    expect(checkSource(source("prune ffn 50% by l1 global")).spec?.optimize?.[0]).toMatchObject({ part: "ffn", fraction: 0.5, norm: "l1", scope: "global" });
  });

  test.each([
    ["share layesr all", "E0204 4:11 unknown word `layesr` in `share`", "did you mean `layers`?", "layesr"],
    ["share layers groups 2", "E0204 4:25 unexpected `2` in `share layers`", "`share layers` takes `of` here: `of`; for example `share layers groups of 2`", "2"],
    ["share", "E0206 4:5 `share` needs what to share: `layers`, `attn`, `ffn` or `embeddings`", "for example `share layers groups of 2`; the attention weights are `attn` (`attention` opens an attention block): `share attn all`", "share"],
    ["share layers groups of 9", "E0325 4:28 a group of 9 layers is larger than the model's 4 layers", "write `share layers all` to share across every layer, or a group size up to 4", "9"],
    ["share embeddings factorized 64", "E0325 4:33 the factorized embedding width must be below the model width (32), got 64", "factorizing stores tokens as [vocab, E] plus an [E, width] projection; pick E < 32, such as 5", "64"],
    ["prune heads 50% by l3", "E0204 4:24 unknown word `l3` in `prune heads`", "did you mean `l1`?", "l3"],
    ["prune weights 80 magnitude", "E0205 4:19 the sparsity must be a percentage, got `80`", "write it with `%`: `80%`", "80"],
    ["prune weights 100% magnitude", "E0325 4:19 the sparsity must be below 100%, got 100%", "a share of at least 100% would remove everything; write a percentage between 0% and 100%, such as `prune weights 80% magnitude`", "100%"],
    ["prune layers [0..3]", "E0325 4:18 this removes all 4 layers of `m`", "keep at least one layer", "[0..3]"],
    ["prune layers [5]", "E0325 4:19 layer 5 is out of range: `m` has 4 layers", "layers are numbered 0 to 3", "5"],
    ["prune heads layers 3 [0, 1]", "E0313 4:26 layer 3 would lose 2 from kv group 0 and 0 from kv group 1", "with kv_heads 2, query heads 2·g … 2·g+1 share kv head g; remove the same number of heads from every group so the layer stays grouped-query attention", "[0, 1]"],
    ["prune heads 10% by l2", "E0325 4:17 10% of the 2 query heads of each kv group rounds to none", "with kv_heads 2, query heads are pruned evenly within each kv group of 2; pick a share that leaves between 1 and 1 of 2", "10%"],
    ["prune ffn 50% by l2 extra", "E0207 4:25 unexpected `extra` after `prune ffn`", "`prune ffn` is complete before this; for example `prune ffn 50% by l2`", "extra"],
  ])("%s", (directive, brief, help, spanned) => {
    const text = source(directive);
    const checked = checkSource(text);
    expect(checked.brief).toEqual([brief]);
    expect(checked.diagnostics[0].help).toBe(help);
    expect(textAt(text, checked.diagnostics[0])).toBe(spanned);
    expect(checked.spec).toBeUndefined();
  });

  test("rules between directives name both places", () => {
    const text = source("share attn all\n    prune heads 50% by l2");
    const checked = checkSource(text);
    expect(checked.brief).toEqual(["E0313 5:5 the attention weights are shared above; structured pruning of shared weights is not supported"]);
    expect(checked.diagnostics[0].labels?.map((l) => textAt(text, l))).toEqual(["share attn all"]);
    expect(checkSource(source("share embeddings factorized 8\n    share embeddings tied")).brief).toEqual([
      "E0313 5:5 `share embeddings tied` must come before `share embeddings factorized`",
    ]);
    expect(checkSource(source("share layers all\n    share ffn groups of 2")).brief).toEqual(["E0313 5:5 the FFN weights are already shared"]);
    expect(checkSource(source("prune layers [1]\n    prune heads layers 1..2 [0, 2]")).brief).toEqual(["E0313 5:5 layer 1 is removed above, so its heads cannot be pruned"]);
    expect(checkSource(source("prune layers [0, 1]\n    prune layers [2, 3]")).brief).toEqual(["E0325 5:5 together the `prune layers` directives remove all 4 layers"]);
  });

  test("a misspelled directive is reported once, and the one before it still reads", () => {
    const checked = checkSource(source("prune layers [1]\n    shaer layers all"));
    expect(checked.brief).toEqual(["E0204 5:5 unknown optimization `shaer`"]);
    expect(checked.diagnostics[0].fix?.replacement).toBe("share");
  });

  test("tying needs an untied LM head", () => {
    const tied = `model m {\n  ${BASE} tied\n  optimize { share embeddings tied }\n}\n`;
    expect(checkSource(tied).brief).toEqual(["E0313 3:14 the embeddings of `m` are already tied (`output lm tied`)"]);
  });
});
