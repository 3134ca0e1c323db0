/** `mailops send --proof-to`: each proof address's outcome as text, or the report as JSON (`kind: "proof"`). */

import type { ProofMessageReport, ProofReport } from "../commands/proof.js";
import type { Io } from "../present/io.js";
import { type ReportFormat, reportJson } from "./format.js";

/** What SES (and the local target) does with each mailbox-simulator address. */
const SIMULATED: Record<string, string> = {
  success: "the simulator delivers it",
  bounce: "the simulator bounces it (a bounce event follows)",
  ooto: "the simulator delivers it, then answers out of the office",
  complaint: "the simulator delivers it, then complains (a complaint event follows)",
  suppressionlist: "the simulator bounces it as if suppressed (a bounce event follows)",
};

export function presentProof(report: ProofReport, target: string, format: ReportFormat, io: Io): number {
  const failed = report.messages.some((m) => m.results.some((r) => r.status === "failed"));
  io.out(
    format === "json"
      ? reportJson("proof", proofDocument(report, target, !failed))
      : formatProof(report, target),
  );
  return failed ? 1 : 0;
}

/**
 * The JSON report: `subject` and `results` are the (first) message's, as they were before A/B
 * campaigns; an A/B campaign's messages are listed under `variants` too, one per variant.
 */
function proofDocument(r: ProofReport, target: string, ok: boolean): object {
  const [first, ...more] = r.messages as [ProofMessageReport, ...ProofMessageReport[]];
  return {
    target,
    campaign: r.campaign,
    subject: first.subject,
    from: r.from,
    renderedFor: r.renderedFor,
    results: first.results,
    ...(first.variant !== undefined || more.length ? { variants: r.messages } : {}),
    ...(r.outbox ? { outbox: r.outbox } : {}),
    ok,
  };
}

export function formatProof(r: ProofReport, target: string): string {
  const lines = [
    `Proof of ${r.campaign} on the ${target} target, rendered for ${r.renderedFor === "sample" ? "the template's sample data" : "the subscriber given"}: nothing recorded in the ledger.`,
  ];
  if (r.messages.length > 1)
    lines.push(`  ${r.messages.length} variants: a message each, as each variant's recipients get it.`);
  for (const m of r.messages) {
    lines.push(`  Subject: ${m.subject}`);
    for (const x of m.results) {
      const how = x.simulator ? `; ${SIMULATED[x.simulator]}` : "";
      lines.push(
        x.status === "sent"
          ? `  ${x.to}: sent (${x.messageId})${how}${x.file ? `\n    ${x.file}` : ""}`
          : `  ${x.to}: failed: ${x.error}`,
      );
    }
  }
  if (r.outbox) lines.push(`  outbox: ${r.outbox}`);
  return `${lines.join("\n")}\n`;
}
