/**
 * A CloudWatch dashboard about SES as `dashboard: { name, body, adopt }`, its body kept as found in
 * `dashboards/<name>.json` (the one mailops draws has a line per campaign, and no campaign is in
 * SES to draw it from).
 */
import type { LiveResource } from "../plan/resource.js";
import { FILE_STEM } from "./templates.js";
import type { ImportedFile, NotImported } from "./types.js";
import { jsonFile } from "./yaml-out.js";

type Obj = Record<string, unknown>;

function parsedBody(body: unknown): Obj | undefined {
  let value = body;
  if (typeof body === "string") {
    try {
      value = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Obj) : undefined;
}

/** Whether a dashboard shows SES metrics (a metric of the `AWS/SES` namespace, anywhere in its body). */
export function isSesDashboard(live: LiveResource): boolean {
  return JSON.stringify(parsedBody(live.spec.body) ?? {}).includes('"AWS/SES"');
}

export function dashboardDoc(live: LiveResource): { doc: Obj; file: ImportedFile } | NotImported {
  if (!FILE_STEM.test(live.name))
    return {
      kind: live.kind,
      name: live.name,
      reason: "its name is not a file name mailops takes (letters, digits, - and _)",
    };
  const body = parsedBody(live.spec.body);
  if (!body || !Array.isArray(body.widgets))
    return {
      kind: live.kind,
      name: live.name,
      reason: "its body is not a dashboard body (JSON with widgets)",
    };
  const path = `dashboards/${live.name}.json`;
  return {
    doc: { name: live.name, body: path, adopt: true },
    file: { path, text: jsonFile(body), resources: [`dashboard/${live.name}`] },
  };
}
