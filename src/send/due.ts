/** Which campaigns a `send --due` run takes, and why the others wait. Pure. */
import type { Campaign } from "../config/model.js";
import { localWindow } from "./local-time.js";

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
  // In each recipient's local time: due from the first zone's time, missed after the last's.
  const { from, to } = at.kind === "local" ? localWindow(at) : { from: at.epochMs, to: at.epochMs };
  if (from > now.getTime()) return { state: "scheduled", at: new Date(from).toISOString() };
  // A run already under way always finishes; a never-started one this late is not blasted out.
  if (!run.started && now.getTime() - to > maxLatenessSeconds * 1000)
    return { state: "missed", at: new Date(to).toISOString() };
  return { state: "due" };
}

/** The send_at of a campaign's run (ledger.ts RunId): `local:2026-12-01T09:00` for a local time. */
export const sendAtKey = (campaign: Campaign): string => {
  const at = campaign.sendAt;
  return at?.kind === "at" ? at.iso : at?.kind === "local" ? `local:${at.local}` : "on-merge";
};
