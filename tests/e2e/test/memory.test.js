// Memory after a burst: the buffers of many large requests at once stay inside the allocator's
// heap when they are freed; once the gateway is idle it gives them back to the system.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { parseSimAnswer, peakRssKiB, rssKiB, sleep, startGateway } from './helpers.js';

describe('memory after a burst of large requests', () => {
  let gw;
  before(async () => {
    gw = await startGateway();
  });
  after(async () => {
    await gw?.stop();
  });

  test('what a burst freed goes back to the system once the gateway is idle', async () => {
    const ask = async (i, size) => {
      const prompt = `burst ${i} ${'y'.repeat(size)}`;
      const res = await gw.postChat({ messages: [{ role: 'user', content: prompt }] });
      assert.equal(res.status, 200);
      const body = await res.json();
      assert.ok(parseSimAnswer(body.choices[0].message.content).echo.startsWith(`burst ${i} yyy`));
    };
    await ask(0, 10);
    await sleep(1500);
    const idle = rssKiB(gw.proc.pid);
    // Prompts of 300 KB, each held several times over while its turn runs: buffers the allocator
    // keeps in its heap (it maps only those over 1 MiB).
    for (let round = 0; round < 2; round += 1) {
      await Promise.all(Array.from({ length: 24 }, (_, i) => ask(round * 100 + i, 300 * 1024)));
    }
    const grown = peakRssKiB(gw.proc.pid) - idle;
    assert.ok(grown > 16 * 1024, `the burst grew RSS by only ${grown} KiB: nothing to give back`);
    const released = await gw.waitForLog((e) => e.event === 'gateway.memory_given_back', 10_000);
    assert.ok(released.rss_kib_after < released.rss_kib_before, JSON.stringify(released));
    const now = rssKiB(gw.proc.pid);
    assert.ok(now - idle <= grown / 2,
      `RSS is ${now} KiB after the burst (its peak ${idle + grown} KiB, ${idle} KiB idle before)`);
    await ask(1, 10); // and the gateway serves on
  });
});
