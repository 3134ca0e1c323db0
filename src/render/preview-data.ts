import type { Project } from "../config/model.js";

/**
 * Values SES or mailops fill in at send time, as stand-ins for previews: the postal address,
 * and unsubscribe links that are recognisably not real.
 */
export function previewBuiltins(project: Project, name: string): Record<string, unknown> {
  const url = `https://unsubscribe.local.invalid/preview/${name}`;
  const postal = project.settings.sender.postalAddress;
  return {
    ...(postal !== undefined ? { postal_address: postal } : {}),
    amazonSESUnsubscribeUrl: url,
    unsubscribe_url: url,
  };
}
