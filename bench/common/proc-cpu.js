// CPU time of processes and process trees from /proc (Linux), for the benches' per-process
// figures: user + system time, in ms, read before and after a measured window.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const { execFileSync } = require('node:child_process');

let ticksPerSecond;
/** Clock ticks per second of /proc/<pid>/stat's times (getconf CLK_TCK; 100 on Linux). */
function clockTicks() {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/**
 * One process's /proc/<pid>/stat: `ppid`, and `own` / `reaped` CPU in ms (own = utime +
 * stime; reaped = cutime + cstime, the children it has waited for). Undefined when gone.
 */
function readStat(pid) {
  let text;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: split after its last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const ms = 1000 / clockTicks();
  return {
    pid,
    ppid: Number(fields[1]),
    own: (Number(fields[11]) + Number(fields[12])) * ms,
    reaped: (Number(fields[13]) + Number(fields[14])) * ms,
  };
}

function allStats() {
  const stats = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (stat) stats.push(stat);
  }
  return stats;
}

/**
 * CPU ms of process `pid` alone (`self`), and of all its descendants (`children`: the
 * live ones' own and reaped time, plus what `pid` itself reaped), e.g. an adapter and the
 * embedded PostgreSQL it spawned (postmaster, backends, background workers).
 */
function treeCpu(pid, stats = allStats()) {
  const byParent = new Map();
  for (const s of stats) {
    if (!byParent.has(s.ppid)) byParent.set(s.ppid, []);
    byParent.get(s.ppid).push(s);
  }
  const self = stats.find((s) => s.pid === pid);
  if (!self) return undefined;
  let children = self.reaped;
  const stack = [...(byParent.get(pid) ?? [])];
  while (stack.length > 0) {
    const s = stack.pop();
    children += s.own + s.reaped;
    stack.push(...(byParent.get(s.pid) ?? []));
  }
  return { self: self.own, children };
}

/** `treeCpu` of several roots from one pass over /proc. */
function sampleTrees(pids) {
  const stats = allStats();
  return pids.map((pid) => treeCpu(pid, stats));
}

/** "1-min 5-min 15-min" load average. */
function loadAverage() {
  return os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

module.exports = { readStat, treeCpu, sampleTrees, loadAverage, clockTicks };
