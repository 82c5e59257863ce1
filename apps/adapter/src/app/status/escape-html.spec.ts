import { naughtyStrings } from '@pager/testing';
import { escapeHtml } from './escape-html';

describe(escapeHtml.name, () => {
  it('turns markup into text', () => {
    expect(escapeHtml(`<img src=x onerror="alert('1')">&amp;\``)).toBe(
      '&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;amp;&#96;',
    );
  });

  it('shows null and undefined as nothing, numbers as text', () => {
    expect([null, undefined, 0, 42].map(escapeHtml)).toEqual(['', '', '0', '42']);
  });

  it('replaces control characters and lone surrogates, keeps pairs, tabs and newlines', () => {
    expect(escapeHtml('a\u0000b\u001bc\u0085d\ud800e\udc00f')).toBe(
      'a\ufffdb\ufffdc\ufffdd\ufffde\ufffdf',
    );
    expect(escapeHtml('😀\t\n')).toBe('😀\t\n');
  });

  it('leaves no tag, attribute quote or control character in any BLNS string', () => {
    const strings = naughtyStrings();
    expect(strings.length).toBeGreaterThan(400);
    for (const s of strings) {
      const out = escapeHtml(s);
      expect({ s, out }).toEqual({ s, out: expect.not.stringMatching(/[<>"'`]/) });
      // every & starts an entity this function wrote
      expect(out.replace(/&(amp|lt|gt|quot|#39|#96);/g, '')).not.toContain('&');
      // eslint-disable-next-line no-control-regex
      expect(out).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/);
      // decoding the five entities gives back the text (up to the replaced characters)
      const decoded = out
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&quot;/g, '"')
        .replace(/&#39;/g, "'")
        .replace(/&#96;/g, '`')
        .replace(/&amp;/g, '&');
      expect(decoded.length).toBe(s.length);
    }
  });
});
