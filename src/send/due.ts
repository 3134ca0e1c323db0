/** Which campaigns a `send --due` run takes, and why the others wait. Pure. */
import type { Campaign } from "../config/model.js";

export type DueState =
  | { state: "due" }
  | { state: "draft" }
  | { state: "scheduled"; at: string }
  | { state: "missed"; at: string }
  | { state: "complete" };

export interface RunStatus {
  started: boolean;
  complete: boolean;
}

export function dueState(
  campaign: Campaign,
  run: RunStatus,
  now: Date,
  maxLatenessSeconds: number,
): DueState {
  const at = campaign.sendAt;
  if (!at) return { state: "draft" };
  if (run.complete) return { state: "complete" };
  if (at.kind === "on-merge") return { state: "due" };
  if (at.epochMs > now.getTime()) return { state: "scheduled", at: at.iso };
  // A run already under way always finishes; a never-started one this late is not blasted out.
  if (!run.started && now.getTime() - at.epochMs > maxLatenessSeconds * 1000)
    return { state: "missed", at: at.iso };
  return { state: "due" };
}

export const sendAtKey = (campaign: Campaign): string =>
  campaign.sendAt?.kind === "at" ? campaign.sendAt.iso : "on-merge";
