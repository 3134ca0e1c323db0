/**
 * The worker thread that counts the second part of a large source (audience/split-pass.ts),
 * bundled to dist/count-worker.js: the render check made from each campaign's recipe.
 */
import { parentPort, workerData } from "node:worker_threads";
import { countPart, type PartInput } from "../audience/index.js";
import { type BuilderRecipe, messageBuilder } from "../send/message.js";

const result = await countPart(workerData as PartInput, (project, recipe) => {
  const { campaign, template, secret } = recipe as BuilderRecipe;
  return messageBuilder(project, campaign, template, secret).skipReason;
});
parentPort?.postMessage(
  result,
  "counts" in result ? result.counts.map((c) => c.verdicts.buffer as ArrayBuffer) : [],
);
