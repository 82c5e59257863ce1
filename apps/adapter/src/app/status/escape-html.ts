const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/**
 * Text for HTML element content and quoted attribute values: `& < > " ' \`` as entities,
 * and the characters HTML forbids or browsers mangle (C0 controls but tab/newline, DEL, C1
 * controls, lone surrogates, U+FFFE/U+FFFF) as U+FFFD. Everything the status page shows goes
 * through here: server ids, reasons and errors come from other servers (issue 11).
 */
export function escapeHtml(value: unknown): string {
  const text = value === null || value === undefined ? '' : String(value);
  return text
    .replace(/[&<>"'`]/g, (c) => ENTITIES[c])
    .replace(
      // eslint-disable-next-line no-control-regex -- replacing control characters is the point
      /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
      '\ufffd',
    );
}
