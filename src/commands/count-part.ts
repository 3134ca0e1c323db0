/**
 * The command line's side of counting a large source in two parts at once
 * (audience/split-pass.ts): the worker thread that counts the second part (count-worker.ts),
 * and the render check's recipe it is handed.
 */
import { Worker } from "node:worker_threads";
import type { PartInput, PartResult, SplitOptions } from "../audience/index.js";
import type { Template, TemplatePart } from "../config/model.js";
import type { BuilderRecipe, MessageBuilder } from "../send/message.js";

/**
 * Below this a source is read whole: a worker's start-up (tens of ms) is not won back.
 * `MAILOPS_SPLIT_MIN_BYTES` changes it (0 turns the split off).
 */
const MIN_BYTES = 32 * 1024 * 1024;

let workerUrl: URL | undefined;

/** Set by the entry that ships the worker (bin.ts): tests running the sources have none, and read whole. */
export function useCountWorker(url: URL): void {
  workerUrl = url;
}

/** How sources are split, or undefined when they are read whole. */
export function splitOptions(
  env: Readonly<Record<string, string | undefined>> = process.env,
): SplitOptions | undefined {
  const url = workerUrl;
  const set = env.MAILOPS_SPLIT_MIN_BYTES;
  const minBytes = set === undefined || set === "" ? MIN_BYTES : Number(set);
  if (url === undefined || !(minBytes > 0)) return undefined;
  return { minBytes, run: (input) => runWorker(url, input) };
}

function runWorker(url: URL, input: PartInput): { result: Promise<PartResult>; cancel(): void } {
  // Kept referenced while its answer is awaited (an unreferenced one would let the process end
  // first); terminated once answered or no longer wanted.
  const worker = new Worker(url, { workerData: input });
  const result = new Promise<PartResult>((resolve) => {
    worker.once("message", (r: PartResult) => resolve(r));
    worker.once("error", (e) => resolve({ error: e.message }));
    worker.once("exit", (code) => resolve({ error: `the counting worker exited (${code})` }));
  });
  return { result, cancel: () => void worker.terminate() };
}

/**
 * What a worker makes the same render check from: a campaign's own builder's recipe, structured-
 * clonable (a template part's `locate` and the YAML documents are for findings only). Undefined
 * for a wrapped builder (variants, local time), whose count is not split.
 */
export function portableRecipe(messages: MessageBuilder): BuilderRecipe | undefined {
  const recipe = messages.recipe;
  if (recipe === undefined) return undefined;
  const { doc: _campaignDoc, ...campaign } = recipe.campaign;
  const { doc: _templateDoc, ...template } = recipe.template;
  const parts: Template["parts"] = {};
  for (const [name, part] of Object.entries(template.parts)) {
    const { locate: _, ...rest } = part as TemplatePart;
    // A worker renders nothing it would have to locate.
    parts[name as keyof Template["parts"]] = rest as TemplatePart;
  }
  return { ...recipe, campaign, template: { ...template, parts } };
}
