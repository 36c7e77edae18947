// BUSY_POLL_US: a gateway whose event loop polls before it sleeps serves every kind of request as
// the default one does, and sleeps once requests stop coming.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';

import { checkChatStream, parseSimAnswer, parseSse, startGateway } from './helpers.js';

// utime + stime of a process in seconds (Linux; clock ticks of 1/100 s).
function cpuSeconds(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

describe('busy polling', () => {
  let gw;
  before(async () => {
    gw = await startGateway({ args: ['--busy-poll-us', '5000'], control: { delta_delay_ms: 2 } });
  });
  after(async () => {
    await gw?.stop();
  });

  test('streamed and whole answers arrive intact, one at a time and many at once', async () => {
    const one = async (i) => {
      const prompt = `poll ${i}`;
      const messages = [{ role: 'user', content: prompt }];
      if (i % 2 === 0) {
        const res = await gw.postChat({ model: 'auto', stream: true, messages });
        assert.equal(res.status, 200);
        const streamed = checkChatStream(parseSse(await res.text()));
        assert.equal(parseSimAnswer(streamed.content).echo, prompt);
      } else {
        const res = await gw.postChat({ model: 'auto', messages });
        assert.equal(res.status, 200);
        const body = await res.json();
        assert.equal(parseSimAnswer(body.choices[0].message.content).echo, prompt);
      }
    };
    for (let i = 0; i < 4; i++) await one(i);
    await Promise.all(Array.from({ length: 16 }, (_, i) => one(100 + i)));
  });

  test('an idle gateway sleeps instead of polling', async () => {
    await gw.postChat({ model: 'auto', messages: [{ role: 'user', content: 'then nothing' }] });
    await new Promise((r) => setTimeout(r, 200)); // well past the 5 ms window
    const before = cpuSeconds(gw.proc.pid);
    await new Promise((r) => setTimeout(r, 1000));
    const used = cpuSeconds(gw.proc.pid) - before;
    // Polling through the second would cost close to 1 s; sleeping costs next to nothing.
    assert.ok(used < 0.3, `the idle gateway used ${used.toFixed(2)} s of CPU in 1 s`);
  });
});
