import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cutToBytes, MAX_NAME_BYTES, sanitizeLabel, sanitizeName } from '@delta-augment/core';
import fc from 'fast-check';
import { hostileFileName } from './generators.js';

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/** No lone surrogate: a code point was never split (String#isWellFormed, without the ES2024 lib). */
const wellFormed = (text: string) => !/\p{Cs}/u.test(text);

describe('file names from a generator of hostile names (lengths in bytes, scripts, control characters)', () => {
  it('are cut to at most MAX_NAME_BYTES UTF-8 bytes, well-formed, never a path, never empty', () => {
    fc.assert(
      fc.property(hostileFileName, (name) => {
        // Act
        const safe = sanitizeName(name);
        // Assess
        assert.ok(bytes(safe) <= MAX_NAME_BYTES, `${bytes(safe)} bytes: ${safe}`);
        assert.ok(wellFormed(safe), `a code point was split: ${JSON.stringify(safe)}`);
        assert.ok(safe.length > 0);
        assert.doesNotMatch(safe, /[/\\\p{Cc}\p{Cf}]/u);
        assert.ok(!safe.startsWith('.') && safe !== '..');
      }),
      { numRuns: 3000 },
    );
  });

  it('keep a short extension when the stem has to be cut', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('漢', 'é', 'a', '😀', 'ß', 'ж'), minLength: 1, maxLength: 300 }),
        fc.constantFrom('.png', '.jpeg', '.webp', '.tiff', '.avif', '.jpg'),
        (stem, ext) => {
          // Act
          const safe = sanitizeName(`${stem}${ext}`);
          // Assess
          assert.ok(safe.endsWith(ext), `${safe} lost ${ext}`);
          assert.ok(bytes(safe) <= MAX_NAME_BYTES);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('leave a name within the limit as it was', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,100}\.png$/), (name) => {
        assert.equal(sanitizeName(name), name);
      }),
    );
  });

  it('cut 130 × 漢 + .png (the repro, 394 bytes) to a PNG name of at most 120 bytes', () => {
    const safe = sanitizeName(`${'漢'.repeat(130)}.png`);
    assert.equal(safe, `${'漢'.repeat(38)}.png`);
    assert.equal(bytes(safe), 118);
  });

  it('cut labels the same way (they are folders in the archive)', () => {
    const label = sanitizeLabel('😀'.repeat(100));
    assert.ok(bytes(label) <= MAX_NAME_BYTES);
    assert.ok(wellFormed(label));
  });
});

describe('cutToBytes', () => {
  it('never cuts inside a code point and never exceeds the byte budget', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 80 }), fc.integer({ min: 0, max: 200 }), (text, max) => {
        const cut = cutToBytes(text, max);
        assert.ok(bytes(cut) <= max);
        assert.ok(text.startsWith(cut));
        assert.ok(wellFormed(cut));
        // The next code point would not have fitted.
        const next = text.slice(cut.length).codePointAt(0);
        if (next !== undefined) assert.ok(bytes(cut) + bytes(String.fromCodePoint(next)) > max);
      }),
      { numRuns: 2000 },
    );
  });
});
