import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classCountsText, overlayMarkup } from '../../apps/web/src/label-overlay.js';

describe('labels over a preview', () => {
  const overlay = {
    categories: ['cat', '<dog>'],
    labels: {
      width: 200,
      height: 100,
      objects: [
        { category: 0, box: { x: 10, y: 20, width: 30.04, height: 40 } },
        {
          category: 1,
          box: { x: 50, y: 5, width: 20, height: 20 },
          polygons: [
            [
              [50, 5],
              [70, 5],
              [60, 25],
            ] as [number, number][],
          ],
          keypoints: [
            { x: 60, y: 10, v: 2 },
            { x: 0, y: 0, v: 0 },
          ],
        },
      ],
    },
  };

  it("draws boxes, polygons and visible keypoints in the image's own pixel space", () => {
    const svg = overlayMarkup(overlay, 'cover');
    assert.match(svg, /viewBox="0 0 200 100" preserveAspectRatio="xMidYMid slice"/);
    assert.match(svg, /<rect x="10" y="20" width="30" height="40"/);
    assert.match(svg, /<polygon points="50,5 70,5 60,25"/);
    assert.equal(svg.match(/<circle/g)?.length, 1, 'invisible keypoints are not drawn');
    assert.match(overlayMarkup(overlay, 'contain'), /xMidYMid meet/);
  });

  it('escapes class names', () => {
    const svg = overlayMarkup(overlay, 'cover');
    assert.ok(!svg.includes('<dog>'));
    assert.match(svg, /&lt;dog&gt;/);
  });

  it('states class counts before and after', () => {
    assert.equal(
      classCountsText({ categories: ['cat', 'dog'], counts: { before: [2, 3], after: [5, 6], dropped: 1 } }),
      'cat 2 → 5 · dog 3 → 6 · 1 dropped',
    );
  });
});
