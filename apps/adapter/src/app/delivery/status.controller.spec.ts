import { escapeHtml, renderStatusPage } from './status.controller';

describe(renderStatusPage.name, () => {
  it('escapes what other servers and operators wrote, and lists the worst first', () => {
    const base = {
      since: '2026-01-01T00:00:00.000Z',
      last_success_at: null,
      next_attempt_at: null,
      pages_in_flight: 0,
      consecutive_failures: 0,
    };
    const html = renderStatusPage(
      [
        {
          ...base,
          server_id: 'ok.example',
          state: 'healthy',
          reason: null,
          last_error: null,
          pages_waiting: 0,
        },
        {
          ...base,
          server_id: 'bad.example',
          state: 'unreachable',
          reason: '<script>alert(1)</script>',
          last_error: '"quoted" & <b>',
          pages_waiting: 7,
        },
      ],
      '2026-01-01T00:00:00.000Z',
    );
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&quot;quoted&quot; &amp; &lt;b&gt;');
    expect(html.indexOf('bad.example')).toBeLessThan(html.indexOf('ok.example'));
    expect(escapeHtml(`'`)).toBe('&#39;');
  });
});
