import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { limitedPool } from '@delta-augment/core';

/** A task that finishes when `release` is called, counting how many run at once. */
const gate = () => {
  let running = 0;
  let peak = 0;
  const waiting: (() => void)[] = [];
  const task = () =>
    new Promise<void>((resolve) => {
      running += 1;
      peak = Math.max(peak, running);
      waiting.push(() => {
        running -= 1;
        resolve();
      });
    });
  return { task, peak: () => peak, releaseOne: () => waiting.shift()?.(), running: () => running };
};

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('a limited pool fed one task at a time', () => {
  describe('when more tasks are handed over than its bound', () => {
    it('runs the bound at once and holds the producer back until a slot is free', async () => {
      // Prepare
      const pool = limitedPool(3);
      const g = gate();
      for (let i = 0; i < 3; i++) await pool.run(g.task);
      let fourthStarted = false;

      // Act
      const fourth = pool.run(g.task).then(() => {
        fourthStarted = true;
      });
      await tick();

      // Assess: the producer waits while the pool is full
      assert.equal(g.running(), 3);
      assert.equal(fourthStarted, false);
      g.releaseOne();
      await fourth;
      assert.equal(fourthStarted, true);
      let settled = false;
      const all = pool.settled().then(() => {
        settled = true;
      });
      await tick();
      assert.equal(settled, false, 'settled waits for every started task');
      while (g.running() > 0) {
        g.releaseOne();
        await tick();
      }
      await all;
      assert.equal(g.peak(), 3);
    });
  });

  describe('when a task fails', () => {
    it('starts nothing more and settles with the first failure once the others have settled', async () => {
      // Prepare
      const pool = limitedPool(2);
      const g = gate();
      await pool.run(g.task);
      await pool.run(() => Promise.reject(new Error('disk full')));
      await tick();

      // Act / Assess
      await assert.rejects(
        pool.run(async () => assert.fail('nothing starts after a failure')),
        /disk full/,
      );
      let settled = false;
      const all = pool.settled().then(
        () => assert.fail('settled rejects'),
        (error: Error) => {
          settled = true;
          return error;
        },
      );
      await tick();
      assert.equal(settled, false, 'the running task is waited for');
      g.releaseOne();
      assert.match((await all).message, /disk full/);
    });
  });
});
