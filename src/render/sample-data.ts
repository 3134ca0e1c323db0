import { UNSUBSCRIBE_VARIABLE } from "./builtins.js";

/** What sample data needs of the project (config/model.ts Project fits). */
export interface SampleProject {
  readonly settings: { readonly sender: { readonly postalAddress?: string } };
}

/**
 * Values SES or mailops fill in at send time, as stand-ins for previews: the postal address,
 * and unsubscribe links (under each mode's variable) that are recognisably not real.
 */
export function standInBuiltins(project: SampleProject, name: string): Record<string, unknown> {
  const url = `https://unsubscribe.local.invalid/preview/${name}`;
  const postal = project.settings.sender.postalAddress;
  return {
    ...(postal !== undefined ? { postal_address: postal } : {}),
    ...Object.fromEntries(Object.values(UNSUBSCRIBE_VARIABLE).map((v) => [v, url])),
  };
}

/**
 * A template's sample data, as previews and plan diffs render it: the built-ins, then the
 * template's `sample` over them, since the author wrote those values on purpose.
 */
export function sampleData(
  project: SampleProject,
  template: string,
  sample: Record<string, unknown> = {},
): Record<string, unknown> {
  return { ...standInBuiltins(project, template), ...sample };
}
