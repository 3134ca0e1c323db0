/** The local target's listing: the resource files of a kind, by the names `read` takes. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { LocalTarget } from "../../src/targets/local/resources.js";

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("LocalTarget.list", () => {
  it("names each resource file, event destinations as <set>/<destination>, and skips a write a crash left", async () => {
    dir = mkdtempSync(path.join(tmpdir(), "mailops-local-list-"));
    const put = (kind: string, file: string) => {
      mkdirSync(path.join(dir, ".mailops/local", kind), { recursive: true });
      writeFileSync(path.join(dir, ".mailops/local", kind, file), JSON.stringify({ spec: {}, tags: {} }));
    };
    put("template", "welcome.json");
    put("template", "promo.json");
    put("template", "promo.json.4242.tmp");
    put("event-destination", "marketing~metrics.json");
    const target = new LocalTarget(dir);
    expect(await target.list("template")).toEqual(["promo", "welcome"]);
    expect(await target.list("event-destination")).toEqual(["marketing/metrics"]);
    expect(await target.list("alarm")).toEqual([]);
    const read = await target.read([{ kind: "event-destination", name: "marketing/metrics" }]);
    expect(read.map((r) => r.name)).toEqual(["marketing/metrics"]);
  });
});
