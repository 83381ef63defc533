import ort from "onnxruntime-node";
import { ModelRunError } from "./errors.js";

export type Device = "auto" | "cpu" | "cuda";
export type GraphOptimization = "disabled" | "basic" | "extended" | "all";
export type NativeLogLevel = "verbose" | "info" | "warning" | "error" | "fatal";
export type Provider = "cuda" | "cpu";

export interface SessionOptions {
  /** `auto`: CUDA when its provider loads, else CPU with a notice. Default `auto`. */
  readonly device?: Device;
  /** Intra-op threads; ONNX Runtime picks when absent. */
  readonly threads?: number;
  /** Default `all`. */
  readonly graphOptimization?: GraphOptimization;
  /**
   * ONNX Runtime's own stderr logging, set once per process (its environment is created with the
   * first session). Default `fatal`: load failures reach the caller as exceptions anyway, and the CUDA
   * probe of `auto` would otherwise print a multi-line native error before falling back.
   */
  readonly nativeLog?: NativeLogLevel;
}

export interface OpenedSession {
  readonly session: ort.InferenceSession;
  readonly provider: Provider;
  /** One line for the user when the session did not get what was asked for (CUDA → CPU). */
  readonly notice?: string;
}

export const CUDA_FALLBACK_NOTICE = "CUDA execution provider not available; running on CPU";

let nativeLogConfigured = false;

/**
 * Opens an ONNX Runtime session. With `auto`, the CUDA provider is tried first: the default
 * onnxruntime-node package ships without it (it is installed only with the GPU build), so creation
 * throws and the CPU provider is used instead. A model ORT cannot load throws `ModelRunError`.
 */
export async function openSession(model: string | Uint8Array, options: SessionOptions = {}): Promise<OpenedSession> {
  const device = options.device ?? "auto";
  if (options.threads !== undefined && (!Number.isInteger(options.threads) || options.threads < 1)) {
    throw new RangeError(`threads must be a positive integer, got ${options.threads}`);
  }
  if (!nativeLogConfigured) {
    ort.env.logLevel = options.nativeLog ?? "fatal";
    nativeLogConfigured = true;
  }
  const base: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: options.graphOptimization ?? "all",
    ...(options.threads !== undefined ? { intraOpNumThreads: options.threads } : {}),
  };

  if (device === "cpu") return { session: await loadOn("cpu", model, base), provider: "cpu" };

  let cudaFailure: unknown;
  try {
    // ORT still places nodes the CUDA provider lacks kernels for on the CPU provider it always adds.
    const session = await createSession(model, { ...base, executionProviders: ["cuda"] });
    return { session, provider: "cuda" };
  } catch (e) {
    cudaFailure = e;
  }

  // A model that cannot be loaded at all fails on the CPU too, and that error is the one to report.
  const session = await loadOn("cpu", model, base);
  if (device === "cuda") {
    await session.release();
    throw new ModelRunError(
      `the CUDA execution provider is not available: ${firstLine(cudaFailure)}`,
      "on a machine with an NVIDIA GPU, fetch the CUDA provider with `ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install` (see the README), or run with device `auto` or `cpu`",
    );
  }
  return { session, provider: "cpu", notice: CUDA_FALLBACK_NOTICE };
}

/** A session on one provider; a model ORT cannot load becomes a `ModelRunError` naming it. */
async function loadOn(provider: Provider, model: string | Uint8Array, base: ort.InferenceSession.SessionOptions): Promise<ort.InferenceSession> {
  try {
    return await createSession(model, { ...base, executionProviders: [provider] });
  } catch (e) {
    const what = typeof model === "string" ? model : `the ${model.byteLength}-byte model`;
    throw new ModelRunError(`ONNX Runtime cannot load ${what}: ${firstLine(e)}`, "check that the file is an ONNX model written by `tfc compile`");
  }
}

function createSession(model: string | Uint8Array, options: ort.InferenceSession.SessionOptions): Promise<ort.InferenceSession> {
  return typeof model === "string" ? ort.InferenceSession.create(model, options) : ort.InferenceSession.create(model, options);
}

function firstLine(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  // ORT messages can carry ANSI colour and a native source location; keep the first readable line.
  const plain = message.replace(/\u001b\[[0-9;]*m/g, "").trim();
  return plain.split("\n")[0];
}
