import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  escapeMessage,
  escapeText,
  quoteText,
  toSafeJson,
} from '../../src/cli/format/escapeText.js';
import { rawControls } from '../helpers/cliHarness.js';

describe('escapeText', () => {
  it('shows C0, DEL, C1, bidi and format controls as visible escapes', () => {
    expect(escapeText('a\tb\nc\rd')).toBe('a\\tb\\nc\\rd');
    expect(escapeText('\u0000\u001b[31m\u007f\u009b')).toBe('\\x00\\x1b[31m\\x7f\\x9b');
    expect(escapeText('\u202etxt\u2066\u200b\ufeff\u2028')).toBe(
      '\\u202etxt\\u2066\\u200b\\ufeff\\u2028',
    );
    expect(escapeText('tag\u{e0041}')).toBe('tag\\u{e0041}');
    expect(escapeText('lone\ud800')).toBe('lone\\ud800');
    expect(escapeText('Café crème, 東京, ✓ \\x1b')).toBe('Café crème, 東京, ✓ \\x1b');
  });

  it('keeps the line breaks of a message, and quotes exact text unambiguously', () => {
    expect(escapeMessage('one\ntwo\r\u001b')).toBe('one\ntwo\\r\\x1b');
    expect(quoteText('echo "hi" \\x1b\u001b')).toBe('"echo \\"hi\\" \\\\x1b\\x1b"');
    expect(quoteText('\\x1b')).not.toBe(quoteText('\u001b'));
  });

  it('leaves no raw control in any text, and JSON that parses back to the same value', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        expect(rawControls(escapeText(text), '')).toEqual([]);
        expect(rawControls(quoteText(text), '')).toEqual([]);
        const json = toSafeJson({ text, list: [text] }, 2);
        expect(rawControls(json)).toEqual([]);
        expect(JSON.parse(json)).toEqual({ text, list: [text] });
      }),
      { seed: 7, numRuns: 500 },
    );
  });
});
