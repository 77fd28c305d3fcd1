/**
 * Escaping text for HTML and SVG (XML) output: model replies and customer messages go into the
 * report verbatim, so `<`, `>`, `&` and quotes must never reach the page as markup.
 *
 * @example
 * ```ts
 * escapeHtml('<script>alert("x")</script>');   // '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'
 * ```
 */
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text safe inside HTML/XML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}
