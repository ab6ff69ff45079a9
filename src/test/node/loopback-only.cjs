// Preload (node -r ./loopback-only.cjs ...): force every net.Server.listen() onto 127.0.0.1.
// server-everything's streamableHttp transport calls app.listen(PORT) with no host (= all interfaces).
const net = require("node:net");
const orig = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === "object" && args[0] !== null && !Array.isArray(args[0])) {
    args[0] = { ...args[0], host: "127.0.0.1" };
  } else if (typeof args[0] === "number" || (typeof args[0] === "string" && /^\d+$/.test(args[0]))) {
    if (typeof args[1] === "string") args[1] = "127.0.0.1";
    else args.splice(1, 0, "127.0.0.1");
  }
  return orig.apply(this, args);
};
