// Many clients at once against a pool of simulators, and a clean shutdown.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  assertSchema, checkChatStream, parseSimAnswer, parseSse, schemas, startGateway,
} from './helpers.js';

const N = 50;

describe('concurrency', () => {
  let gw;
  let client;
  before(async () => {
    schemas();
    gw = await startGateway({ poolSize: 2, control: { delta_delay_ms: 5 } });
    client = gw.client({ timeout: 30_000 });
  });
  after(async () => {
    await gw?.stop();
  });

  test(`${N} concurrent requests (mixed stream / non-stream, SDK / raw) all succeed with their own answer`, async () => {
    const run = async (i) => {
      const prompt = `request ${i} 并发 ${'x'.repeat(i % 7)}`;
      const messages = [{ role: 'user', content: prompt }];
      switch (i % 4) {
        case 0: {
          const data = await client.chat.completions.create({ model: 'auto', messages });
          assertSchema('CreateChatCompletionResponse', data);
          return { i, prompt, text: data.choices[0].message.content };
        }
        case 1: {
          const stream = await client.chat.completions.create({ model: 'qwen3-coder', stream: true, messages });
          let text = '';
          for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
          return { i, prompt, text };
        }
        case 2: {
          const res = await gw.postChat({ model: 'auto', stream: true, stream_options: { include_usage: true }, messages });
          assert.equal(res.status, 200);
          const streamed = checkChatStream(parseSse(await res.text()), { includeUsage: true });
          return { i, prompt, text: streamed.content };
        }
        default: {
          const res = await gw.postChat({ model: 'qwen3-coder', messages });
          assert.equal(res.status, 200, await res.clone().text());
          const data = await res.json();
          assertSchema('CreateChatCompletionResponse', data);
          return { i, prompt, text: data.choices[0].message.content };
        }
      }
    };
    const results = await Promise.allSettled(Array.from({ length: N }, (_, i) => run(i)));
    const failures = results.filter((r) => r.status === 'rejected').map((r) => String(r.reason?.stack ?? r.reason));
    assert.deepEqual(failures, [], `${failures.length} of ${N} requests failed`);
    const sessions = new Set();
    for (const { value } of results) {
      const sim = parseSimAnswer(value.text);
      assert.equal(sim.echo, value.prompt, `request ${value.i} got someone else's answer`);
      sessions.add(sim.session);
    }
    assert.equal(sessions.size, N, 'every request ran in its own Lingma session');

    // Both instances took work and nothing is left running.
    const ready = await gw.readyBody();
    assert.equal(ready.status, 200);
    assert.equal(ready.body.instances.length, 2);
    for (const inst of ready.body.instances) assert.equal(inst.active_turns, 0);
  });

  test('the pool spreads turns over its instances', async () => {
    const { body } = await gw.readyBody();
    const pids = body.instances.map((i) => i.pid);
    assert.equal(new Set(pids).size, 2, 'two distinct lingma-sim processes');
    // Hold one turn open on each instance at once; with least-loaded picking both must be busy.
    await gw.withControl({ deltas: 4, delta_delay_ms: 100 }, async () => {
      const pending = [0, 1].map((i) => client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: `spread ${i}` }] }));
      await new Promise((r) => setTimeout(r, 150));
      const mid = await gw.readyBody();
      const busy = mid.body.instances.map((i) => i.active_turns);
      await Promise.all(pending);
      assert.deepEqual(busy, [1, 1], `active turns per instance: ${busy}`);
    });
  });

  test('SIGTERM stops the gateway and every lingma-sim child', async () => {
    const { body } = await gw.readyBody();
    const pids = body.instances.map((i) => i.pid).filter((p) => p > 0);
    assert.equal(pids.length, 2);
    const exit = await gw.stop({ keepDir: true });
    assert.equal(exit.code, 0, `gateway exit: ${JSON.stringify(exit)}`);
    const alive = (pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch (err) {
        return err.code !== 'ESRCH';
      }
    };
    const deadline = Date.now() + 3000;
    while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    assert.deepEqual(pids.filter(alive), [], 'lingma-sim children still running after the gateway exited');
    for (let i = 0; i < 2; i++) {
      const info = path.join(gw.dir, 'work', `inst-${i}`, '.info');
      assert.ok(!fs.existsSync(info), `${info} left behind: the sim did not exit cleanly`);
    }
    fs.rmSync(gw.dir, { recursive: true, force: true });
  });
});
