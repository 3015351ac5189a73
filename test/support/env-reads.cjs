/**
 * An environment that counts how often each variable is read (`env.X`, `'X' in env`), by name: the proof that the
 * service reads its settings once. Listing the names (`Object.keys`) is not a read of any one of them.
 */
function countEnvReads(target) {
  const reads = {};
  const count = (name) => {
    if (typeof name === 'string') reads[name] = (reads[name] ?? 0) + 1;
  };
  const env = new Proxy(target, {
    get(t, name) {
      count(name);
      return Reflect.get(t, name);
    },
    has(t, name) {
      count(name);
      return Reflect.has(t, name);
    },
  });
  return { env, reads };
}

module.exports = { countEnvReads };
