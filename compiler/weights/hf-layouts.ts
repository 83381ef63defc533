import type { HfLayout } from "../spec.js";
import { hfBert } from "./hf-bert.js";
import { hfGpt2 } from "./hf-gpt2.js";
import type { HfLayoutDefinition } from "./hf-layout.js";
import { hfLlama } from "./hf-llama.js";

/** Every checkpoint layout `weights "FILE" layout NAME` accepts, by name. */
export const HF_LAYOUT_DEFINITIONS: Readonly<Record<HfLayout, HfLayoutDefinition>> = {
  "hf-bert": hfBert,
  "hf-gpt2": hfGpt2,
  "hf-llama": hfLlama,
};
