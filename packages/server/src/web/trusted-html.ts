/**
 * The page's CSP requires Trusted Types, so the browser refuses any HTML string put into the DOM that did
 * not come through this one policy, whose only source is the Markdown renderer. A bug elsewhere that
 * tried to insert model text as HTML would throw instead of running it.
 */

interface TrustedTypePolicy {
  createHTML(input: string): unknown;
}

interface TrustedTypesWindow {
  trustedTypes?: { createPolicy(name: string, rules: { createHTML(input: string): string }): TrustedTypePolicy };
}

/** Must match the `trusted-types` directive of the page's Content-Security-Policy. */
export const trustedTypesPolicyName = 'sluice-markdown';

const policy = (globalThis as TrustedTypesWindow).trustedTypes?.createPolicy(trustedTypesPolicyName, { createHTML: (input) => input });

/** Wraps HTML made by `renderMarkdown` for `dangerouslySetInnerHTML`; a plain string where Trusted Types are not supported. */
export function toTrustedHtml(html: string): string {
  return (policy?.createHTML(html) ?? html) as string;
}
