import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
const entry = process.argv[2];
const port = 18000 + Math.floor(Math.random()*1000);
const cpu = (pid) => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(f[11]) + Number(f[12])) * 10; };
for (let i = 0; i < 3; i++) {
  const t0 = performance.now();
  const child = spawn('node', [entry, 'serve', '--port', String(port), '--data-dir', '/tmp/cold'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err=''; child.stderr.on('data', d => err += d);
  for (;;) {
    try { const r = await fetch(`http://127.0.0.1:${port}/v2025-01-09/ping`); await r.text(); break; } catch { await new Promise(r => setTimeout(r, 5)); }
    if (child.exitCode !== null) { console.log('exited', err); process.exit(1); }
  }
  console.log(entry, (performance.now() - t0).toFixed(0), 'ms wall', cpu(child.pid), 'ms cpu');
  child.kill('SIGTERM'); await new Promise(r => child.on('exit', r));
}
