/** The part of pg-cursor (which ships no types) that postgres.ts uses. */
declare module "pg-cursor" {
  import type { Submittable } from "pg";

  export default class Cursor<Row = Record<string, unknown>> implements Submittable {
    constructor(
      text: string,
      values?: unknown[],
      config?: { types?: { getTypeParser: (oid: number, format?: string) => (text: string) => unknown } },
    );
    submit: Submittable["submit"];
    read(rows: number): Promise<Row[]>;
    close(): Promise<void>;
  }
}
