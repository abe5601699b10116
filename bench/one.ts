/**
 * Runs one benchmark group in this process and prints its figures as one JSON
 * line (plus `rss_mib`, this process's peak). bench/index.ts starts one process
 * per group, so no group inherits another's heap, JIT state or threads.
 * @module
 */
const groups: Record<string, () => Promise<object>> = {
  engine: async () => (await import('./engine.js')).benchEngine(),
  store: async () => ({ ...await (await import('./store.js')).benchStore(), ...await (await import('./store-server.js')).benchStoreServer() }),
  dispatcher: async () => ({ ...await (await import('./dispatcher.js')).benchDispatcher(), ...await (await import('./loopback.js')).benchLoopback() }),
  v2: async () => (await import('./v2.js')).benchV2(),
  http: async () => (await import('./http.js')).benchHttp(),
  worker: async () => (await import('./worker.js')).benchWorker(),
  ui: async () => (await import('./ui.js')).benchUi(),
  epics: async () => (await import('./epics.js')).benchEpics(),
  queue: async () => (await import('./queue.js')).benchQueue(),
  size: async () => (await import('./plan-size.js')).benchPlanSize(),
  firstrun: async () => ({ ...await (await import('./first-run.js')).benchFirstRun(), ...(await import('./server-first-run.js')).benchServerFirstRun() }),
  stall: async () => (await import('./stall.js')).benchStall(),
  scale: async () => (await import('./scale.js')).benchScale(),
};

const name = process.argv[2] ?? '';
const run = groups[name];
if (run === undefined) throw new Error(`unknown bench group "${name}"; expected one of ${Object.keys(groups).join(', ')}`);
const figures = await run();
console.log(JSON.stringify({ ...figures, rss_mib: Math.round(process.resourceUsage().maxRSS / 1024) }));
process.exit(0);
