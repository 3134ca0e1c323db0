import { error, warning } from "../findings.js";
import { type Campaign, positionOf } from "../model.js";
import { occurrencesAfter, parseSchedule, type Schedule } from "../schedule.js";
import type { LintContext } from "./context.js";
import { unknownHint } from "./references.js";

/** Occurrences closer than this are reported: the scheduled-send workflow runs every 15 minutes, GitHub starts it late under load. */
const MIN_GAP_MS = 3_600_000;
/** Occurrences looked at for the gap (from `start`, or a fixed instant: lint does not read the clock). */
const GAP_SAMPLE = 60;
const SAMPLE_FROM = Date.UTC(2026, 0, 1);

/** `schedule:` and `exclude_sent:` (recurring campaigns, docs/schedules.md). */
export function checkRecurring({ project, report }: LintContext): void {
  for (const c of project.campaigns.values()) {
    const d = (c.doc?.data ?? {}) as Record<string, unknown>;
    if (!c.doc) continue;
    if (typeof d.schedule === "object" && d.schedule !== null && !Array.isArray(d.schedule))
      checkSchedule(c, d, report);
    (c.excludeSent ?? []).forEach((e, i) => {
      if (project.campaigns.has(e.campaign)) return;
      const path = Array.isArray(d.exclude_sent)
        ? ["exclude_sent", i, "campaign"]
        : ["exclude_sent", "campaign"];
      report(
        error(
          "campaign/exclude-sent",
          positionOf(c, path),
          `\`exclude_sent\` names campaign \`${e.campaign}\`, which does not exist`,
          unknownHint(e.campaign, [...project.campaigns.keys()], "name a campaign under campaigns/"),
        ),
      );
    });
  }
}

function checkSchedule(c: Campaign, d: Record<string, unknown>, report: LintContext["report"]): void {
  const { schedule, problems } = parseSchedule(d.schedule as Record<string, unknown>);
  for (const p of problems) {
    report(
      error(
        "campaign/schedule",
        positionOf(c, p.key ? ["schedule", p.key] : ["schedule"]),
        p.message,
        p.hint,
      ),
    );
  }
  if ("send_at" in d) {
    report(
      error(
        "campaign/schedule",
        positionOf(c, ["send_at"], "key"),
        "a campaign has `send_at` (one run) or `schedule` (a run per occurrence), not both",
        "remove `send_at` to make it recurring, or `schedule` to send it once",
      ),
    );
  }
  if (schedule) checkGap(c, schedule, report);
}

/** Occurrences less than an hour apart: most would be missed, and nobody wants mail that often. */
function checkGap(c: Campaign, s: Schedule, report: LintContext["report"]): void {
  if (hourApartAtLeast(s)) return;
  const from = (s.start?.epochMs ?? SAMPLE_FROM) - 1;
  const next = occurrencesAfter(s, from, GAP_SAMPLE);
  let gap = Number.POSITIVE_INFINITY;
  for (let i = 1; i < next.length; i++)
    gap = Math.min(
      gap,
      (next[i] as { epochMs: number }).epochMs - (next[i - 1] as { epochMs: number }).epochMs,
    );
  if (gap >= MIN_GAP_MS) return;
  report(
    warning(
      "campaign/schedule-frequency",
      positionOf(c, ["schedule", s.kind === "rate" ? "every" : "cron"]),
      `occurrences of \`${c.name}\` are ${Math.round(gap / 60_000)} minutes apart: each is a mail to the whole audience`,
      "the scheduled-send workflow runs every 15 minutes and may start late, so most occurrences this close would be missed; schedule it hourly or less often",
    ),
  );
}

/**
 * Known without sampling (60 cron occurrences in a time zone cost tens of milliseconds of every
 * command's start-up): a rate of an hour or more, or a cron at one fixed minute, whose occurrences
 * fall in different hours (a daylight-saving repeat of an hour is an hour later).
 */
function hourApartAtLeast(s: Schedule): boolean {
  if (s.kind === "rate") return s.everyMs >= MIN_GAP_MS;
  return /^\d{1,2}$/.test(s.cron.trim().split(/\s+/)[0] ?? "");
}
